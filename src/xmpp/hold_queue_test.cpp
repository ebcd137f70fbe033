#include "xmpp/hold_queue.h"

#include <gtest/gtest.h>

namespace convene::xmpp {
namespace {

using namespace std::chrono_literals;
using Clock = HoldQueue::Clock;

TEST(HoldQueue, TakesAKeysStanzasInArrivalOrder) {
  HoldQueue q({10, 1000, 3000ms});
  auto t = Clock::now();
  EXPECT_TRUE(q.hold("cb1", "a", t));
  EXPECT_TRUE(q.hold("cb2", "x", t));
  EXPECT_TRUE(q.hold("cb1", "b", t));
  EXPECT_TRUE(q.holds("cb1"));
  auto got = q.take("cb1");
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0].bytes, "a");
  EXPECT_EQ(got[1].bytes, "b");
  EXPECT_FALSE(q.holds("cb1"));
  EXPECT_EQ(q.count(), 1u);
  EXPECT_EQ(q.bytes(), 1u);
}

TEST(HoldQueue, RefusesPastTheCountOrByteLimit) {
  HoldQueue by_count({2, 1000, 3000ms});
  auto t = Clock::now();
  EXPECT_TRUE(by_count.hold("k", "1", t));
  EXPECT_TRUE(by_count.hold("k", "2", t));
  EXPECT_FALSE(by_count.hold("k", "3", t));
  EXPECT_EQ(by_count.count(), 2u);

  HoldQueue by_bytes({100, 5, 3000ms});
  EXPECT_TRUE(by_bytes.hold("k", "abc", t));
  EXPECT_FALSE(by_bytes.hold("k", "def", t));  // 6 bytes > 5
  EXPECT_TRUE(by_bytes.hold("k", "de", t));
  EXPECT_EQ(by_bytes.bytes(), 5u);
}

TEST(HoldQueue, ExpiresOnlyWhatWaitedItsTime) {
  HoldQueue q({10, 1000, 3000ms});
  auto t = Clock::now();
  q.hold("k", "old", t);
  q.hold("k", "new", t + 2000ms);
  EXPECT_TRUE(q.take_expired(t + 2999ms).empty());
  auto gone = q.take_expired(t + 3000ms);
  ASSERT_EQ(gone.size(), 1u);
  EXPECT_EQ(gone[0].bytes, "old");
  EXPECT_EQ(q.count(), 1u);
  EXPECT_EQ(q.take_expired(t + 5000ms).size(), 1u);
  EXPECT_EQ(q.count(), 0u);
  EXPECT_EQ(q.bytes(), 0u);
}

TEST(HoldQueue, PutBackKeepsTheOrderInFront) {
  HoldQueue q({10, 1000, 3000ms});
  auto t = Clock::now();
  q.hold("k", "1", t);
  q.hold("k", "2", t);
  auto taken = q.take("k");
  q.hold("k", "3", t);
  q.put_back(std::move(taken));
  auto all = q.take("k");
  ASSERT_EQ(all.size(), 3u);
  EXPECT_EQ(all[0].bytes, "1");
  EXPECT_EQ(all[1].bytes, "2");
  EXPECT_EQ(all[2].bytes, "3");
  EXPECT_EQ(q.keys().size(), 0u);
}

}  // namespace
}  // namespace convene::xmpp
