#include "xmpp/attempt_throttle.h"

#include <gtest/gtest.h>

namespace convene::xmpp {
namespace {

using std::chrono::milliseconds;
using std::chrono::minutes;

AttemptThrottle::Policy policy() {
  AttemptThrottle::Policy p;
  p.free_attempts = 2;
  p.initial_delay = milliseconds(1000);
  p.max_delay = milliseconds(8000);
  p.forget_after = minutes(10);
  p.max_keys = 3;
  return p;
}

TEST(AttemptThrottle, FreeAttemptsThenDoublingDelaysUpToTheCap) {
  AttemptThrottle t(policy());
  auto now = AttemptThrottle::Clock::time_point{} + minutes(100);
  EXPECT_EQ(t.record("a", now), milliseconds(0));
  EXPECT_FALSE(t.wait_for("a", now));
  EXPECT_EQ(t.record("a", now), milliseconds(1000));  // the second of two free attempts closes the key
  EXPECT_EQ(t.wait_for("a", now), milliseconds(1000));
  EXPECT_EQ(t.wait_for("a", now + milliseconds(400)), milliseconds(600));
  EXPECT_FALSE(t.wait_for("a", now + milliseconds(1000)));
  EXPECT_EQ(t.record("a", now), milliseconds(2000));
  EXPECT_EQ(t.record("a", now), milliseconds(4000));
  EXPECT_EQ(t.record("a", now), milliseconds(8000));
  EXPECT_EQ(t.record("a", now), milliseconds(8000));
  EXPECT_EQ(t.refused(), 2u);
  // Another key is not affected.
  EXPECT_FALSE(t.wait_for("b", now));
}

TEST(AttemptThrottle, SuccessAndSilenceForget) {
  AttemptThrottle t(policy());
  auto now = AttemptThrottle::Clock::time_point{} + minutes(100);
  for (int i = 0; i < 3; ++i) t.record("a", now);
  EXPECT_TRUE(t.wait_for("a", now));
  t.forget("a");
  EXPECT_FALSE(t.wait_for("a", now));
  EXPECT_EQ(t.size(), 0u);
  for (int i = 0; i < 3; ++i) t.record("a", now);
  EXPECT_FALSE(t.wait_for("a", now + minutes(10)));
  EXPECT_EQ(t.record("a", now + minutes(20)), milliseconds(0));  // counted afresh
}

TEST(AttemptThrottle, TableStaysBoundedAndDropsTheOldest) {
  AttemptThrottle t(policy());
  auto now = AttemptThrottle::Clock::time_point{} + minutes(100);
  for (int i = 0; i < 2; ++i) t.record("old", now);
  t.record("b", now + milliseconds(1));
  t.record("c", now + milliseconds(2));
  for (int i = 0; i < 1000; ++i) t.record("k" + std::to_string(i), now + milliseconds(3 + i));
  EXPECT_EQ(t.size(), 3u);
  EXPECT_FALSE(t.wait_for("old", now));
}

}  // namespace
}  // namespace convene::xmpp
