#include "web/request_workers.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <future>

namespace convene::web {
namespace {

TEST(RequestWorkers, AJobBlockingOneWorkerDoesNotHoldTheOther) {
  RequestWorkers workers(2, 8);
  std::promise<void> release;
  auto released = release.get_future().share();
  std::promise<void> second_ran;
  ASSERT_TRUE(workers.post([released] { released.wait(); }));
  ASSERT_TRUE(workers.post([&] { second_ran.set_value(); }));
  // The second job runs while the first still blocks its worker.
  EXPECT_EQ(second_ran.get_future().wait_for(std::chrono::seconds(10)), std::future_status::ready);
  release.set_value();
}

TEST(RequestWorkers, AFullQueueRefusesAndTheQueuedJobsStillRunBeforeTheEnd) {
  std::atomic<int> ran{0};
  std::promise<void> release;
  auto released = release.get_future().share();
  {
    RequestWorkers workers(1, 2);
    std::promise<void> started;
    ASSERT_TRUE(workers.post([released, &ran, &started] {
      started.set_value();
      released.wait();
      ++ran;
    }));
    // The only worker is busy: the queue takes two, then refuses.
    ASSERT_EQ(started.get_future().wait_for(std::chrono::seconds(10)), std::future_status::ready);
    EXPECT_TRUE(workers.post([&ran] { ++ran; }));
    EXPECT_TRUE(workers.post([&ran] { ++ran; }));
    EXPECT_FALSE(workers.post([&ran] { ++ran; }));
    release.set_value();
    // The destructor runs what was queued.
  }
  EXPECT_EQ(ran.load(), 3);
}

}  // namespace
}  // namespace convene::web
