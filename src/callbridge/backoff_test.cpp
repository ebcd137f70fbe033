#include "callbridge/backoff.h"

#include <gtest/gtest.h>

#include <set>

namespace convene::callbridge {
namespace {
using ms = std::chrono::milliseconds;

TEST(Backoff, StaysWithinBoundsAndGrowsToTheCap) {
  std::mt19937_64 rng(7);
  Backoff b(ms(250), ms(5000));
  long long cap = 250;
  for (int i = 0; i < 40; ++i) {
    auto d = b.next(rng);
    EXPECT_GE(d.count(), cap / 2) << "attempt " << i;
    EXPECT_LE(d.count(), cap) << "attempt " << i;
    EXPECT_LE(d.count(), 5000);
    EXPECT_GE(d.count(), 125);
    cap = std::min<long long>(cap * 2, 5000);
  }
}

TEST(Backoff, IsJitteredAndResets) {
  std::mt19937_64 rng(11);
  std::set<long long> seen;
  for (int i = 0; i < 50; ++i) {
    Backoff b(ms(1000), ms(8000));
    for (int k = 0; k < 3; ++k) (void)b.next(rng);
    seen.insert(b.next(rng).count());  // the 4th delay: in [4000, 8000]
  }
  EXPECT_GT(seen.size(), 40u) << "delays must not come in step";
  Backoff b(ms(100), ms(10000));
  for (int k = 0; k < 10; ++k) (void)b.next(rng);
  b.reset();
  auto d = b.next(rng);
  EXPECT_GE(d.count(), 50);
  EXPECT_LE(d.count(), 100);
}

TEST(Backoff, NeverOverflowsAfterManyAttempts) {
  std::mt19937_64 rng(3);
  Backoff b(ms(250), ms(5000));
  for (int i = 0; i < 10000; ++i) {
    auto d = b.next(rng);
    ASSERT_GE(d.count(), 125);
    ASSERT_LE(d.count(), 5000);
  }
}

TEST(ReconnectJitter, IsShort) {
  std::mt19937_64 rng(5);
  for (int i = 0; i < 1000; ++i) {
    auto d = reconnect_jitter(rng);
    ASSERT_GE(d.count(), 0);
    ASSERT_LE(d.count(), 100);
  }
}

}  // namespace
}  // namespace convene::callbridge
