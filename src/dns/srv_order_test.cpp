#include "dns/srv_order.h"

#include <gtest/gtest.h>

#include <map>

namespace convene::dns {
namespace {

TEST(SrvOrder, LowerPriorityAlwaysComesFirst) {
  std::mt19937_64 rng(1);
  for (int i = 0; i < 200; ++i) {
    auto order = order_srv_targets({{"c", 5222, 20, 100}, {"a", 5222, 10, 1}, {"b", 5222, 10, 50}, {"d", 5222, 30, 0}},
                                   rng);
    ASSERT_EQ(order.size(), 4u);
    EXPECT_EQ(order[0].priority, 10);
    EXPECT_EQ(order[1].priority, 10);
    EXPECT_EQ(order[2].host, "c");
    EXPECT_EQ(order[3].host, "d");
  }
}

TEST(SrvOrder, WeightsAreHonouredWithinAPriority) {
  // Weights 60/30/10: the share of first places must follow them.
  std::mt19937_64 rng(42);
  std::map<std::string, int> first;
  const int trials = 20000;
  for (int i = 0; i < trials; ++i)
    first[order_srv_targets({{"a", 1, 0, 60}, {"b", 1, 0, 30}, {"c", 1, 0, 10}}, rng)[0].host]++;
  EXPECT_NEAR(first["a"] / double(trials), 0.60, 0.02);
  EXPECT_NEAR(first["b"] / double(trials), 0.30, 0.02);
  EXPECT_NEAR(first["c"] / double(trials), 0.10, 0.02);
}

TEST(SrvOrder, EqualWeightsSpreadEvenly) {
  std::mt19937_64 rng(7);
  std::map<std::string, int> first;
  for (int i = 0; i < 9000; ++i)
    first[order_srv_targets({{"a", 1, 0, 10}, {"b", 1, 0, 10}, {"c", 1, 0, 10}}, rng)[0].host]++;
  for (auto& [host, n] : first) EXPECT_NEAR(n / 9000.0, 1 / 3.0, 0.03) << host;
}

TEST(SrvOrder, ZeroWeightStillGetsTried) {
  std::mt19937_64 rng(3);
  auto order = order_srv_targets({{"a", 1, 0, 0}, {"b", 1, 0, 10}}, rng);
  ASSERT_EQ(order.size(), 2u);
}

TEST(SrvOrder, DotTargetMeansNoService) {
  std::mt19937_64 rng(3);
  EXPECT_TRUE(order_srv_targets({{".", 0, 0, 0}}, rng).empty());
}

}  // namespace
}  // namespace convene::dns
