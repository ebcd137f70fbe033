#include "callbridge/target_plan.h"

#include <gtest/gtest.h>

#include "dns/srv_order.h"

namespace convene::callbridge {
namespace {
using namespace std::chrono_literals;
using clock = TargetPlan::clock;

TEST(TargetPlan, FixedServerIsTheOnlyTargetAndIsRetriedAfterRestart) {
  auto plan = TargetPlan::fixed(*parse_server_address("127.0.1.1:5223"));
  EXPECT_FALSE(plan.needs_resolve(clock::now()));
  auto t = plan.next();
  ASSERT_TRUE(t);
  EXPECT_EQ(t->endpoint(), "127.0.1.1:5223");
  EXPECT_FALSE(plan.next());
  plan.restart();
  EXPECT_FALSE(plan.needs_resolve(clock::now() + 1h));  // never looked up
  EXPECT_EQ(plan.next()->endpoint(), "127.0.1.1:5223");
}

TEST(TargetPlan, TriesSrvTargetsOneAtATimeInRfc2782Order) {
  std::mt19937_64 rng(1);
  auto plan = TargetPlan::from_srv("_xmpp-component._tcp.tptac9.com");
  auto now = clock::now();
  EXPECT_TRUE(plan.needs_resolve(now));
  auto ordered = dns::order_srv_targets(
      {{"c", 5223, 20, 0}, {"a", 5223, 10, 50}, {"b", 5223, 10, 50}, {"d", 5223, 30, 0}}, rng);
  plan.set_targets(ordered, 30s, now);
  EXPECT_FALSE(plan.needs_resolve(now));
  std::vector<std::string> order;
  while (auto t = plan.next()) order.push_back(t->host);
  ASSERT_EQ(order.size(), 4u);
  EXPECT_TRUE((order[0] == "a" && order[1] == "b") || (order[0] == "b" && order[1] == "a"));
  EXPECT_EQ(order[2], "c");
  EXPECT_EQ(order[3], "d");
  EXPECT_TRUE(plan.exhausted());
  // Exhausted: the next round starts with a fresh look-up.
  plan.restart();
  EXPECT_TRUE(plan.needs_resolve(now));
}

TEST(TargetPlan, RecordsGoStaleWhenTheirTtlRunsOut) {
  auto plan = TargetPlan::from_srv("_xmpp-component._tcp.tptac9.com");
  auto now = clock::now();
  plan.set_targets({{"a", 5223, 0, 0}}, 30s, now);
  EXPECT_FALSE(plan.needs_resolve(now + 29s));
  EXPECT_TRUE(plan.needs_resolve(now + 30s));
  // A zero TTL still leaves a second to try the targets.
  plan.set_targets({{"a", 5223, 0, 0}}, 0s, now);
  EXPECT_FALSE(plan.needs_resolve(now + 500ms));
  EXPECT_TRUE(plan.needs_resolve(now + 1s));
}

TEST(ServerAddress, Parses) {
  EXPECT_EQ(parse_server_address("xmpp.tptac9.com")->endpoint(), "xmpp.tptac9.com:5223");
  EXPECT_EQ(parse_server_address("10.0.0.1:5999")->port, 5999);
  EXPECT_EQ(parse_server_address("[::1]:5223")->host, "::1");
  EXPECT_FALSE(parse_server_address("host:0"));
  EXPECT_FALSE(parse_server_address("host:99999"));
  EXPECT_FALSE(parse_server_address(":5223"));
  EXPECT_FALSE(parse_server_address("::1:5223"));
}

}  // namespace
}  // namespace convene::callbridge
