#include "cluster/admission.h"

#include <gtest/gtest.h>

#include <vector>

namespace convene::cluster {
namespace {

TEST(HandshakeGate, CapsUnfinishedHandshakesPerAddressAndPerPort) {
  auto gate = std::make_shared<HandshakeGate>(5, 2);
  auto a1 = gate->enter("10.0.0.1"), a2 = gate->enter("10.0.0.1");
  ASSERT_TRUE(a1 && a2);
  EXPECT_FALSE(gate->enter("10.0.0.1")) << "a third from one address";
  std::vector<std::shared_ptr<HandshakeGate::Ticket>> others;
  for (int i = 2; i <= 4; ++i) others.push_back(gate->enter("10.0.0." + std::to_string(i)));
  for (auto& t : others) ASSERT_TRUE(t);
  EXPECT_EQ(gate->pending(), 5u);
  EXPECT_FALSE(gate->enter("10.0.0.9")) << "the port is full";
  a1.reset();  // a handshake finished: room again, for that address too
  EXPECT_TRUE(gate->enter("10.0.0.1"));
}

TEST(HandshakeGate, DefaultLimitsHold) {
  auto gate = std::make_shared<HandshakeGate>();
  std::vector<std::shared_ptr<HandshakeGate::Ticket>> held;
  for (;;) {
    auto t = gate->enter("192.0.2.1");
    if (!t) break;
    held.push_back(t);
  }
  EXPECT_EQ(held.size(), HandshakeGate::kMaxPendingPerHost);
}

TEST(RefusalLog, OncePerIntervalPerKey) {
  RefusalLog log(std::chrono::seconds(10));
  auto t0 = RefusalLog::Clock::now();
  EXPECT_TRUE(log.should_log("a", t0));
  EXPECT_FALSE(log.should_log("a", t0 + std::chrono::seconds(1)));
  EXPECT_TRUE(log.should_log("b", t0 + std::chrono::seconds(1)));
  EXPECT_TRUE(log.should_log("a", t0 + std::chrono::seconds(11)));
}

TEST(RefusalLog, StaysBoundedWhateverTheNumberOfSources) {
  RefusalLog log(std::chrono::seconds(10), 64);
  auto t0 = RefusalLog::Clock::now();
  size_t logged = 0;
  for (int i = 0; i < 100'000; ++i) logged += log.should_log("198.51.100." + std::to_string(i), t0);
  EXPECT_LE(log.size(), 64u);
  EXPECT_EQ(logged, 64u);
  // Once the old keys expired, new ones are logged again, with the count left unsaid.
  size_t unsaid = 0;
  EXPECT_TRUE(log.should_log("new", t0 + std::chrono::seconds(11), &unsaid));
  EXPECT_EQ(unsaid, 100'000u - 64u);
  EXPECT_LE(log.size(), 64u);
}

}  // namespace
}  // namespace convene::cluster
