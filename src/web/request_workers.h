#pragma once
// The threads ("web-cmd") that answer the web admin's requests, so that the
// listener's io thread only accepts, handshakes, reads and writes: a slow command
// (a `database cluster status` waiting on an unreachable member) holds one worker,
// not every other connection. A bounded queue: when it is full, post() says no
// and the listener answers 503 at once rather than piling work up.
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace convene::web {

class RequestWorkers {
 public:
  RequestWorkers(std::size_t threads, std::size_t max_queued);
  // Runs the jobs already queued, then joins the threads.
  ~RequestWorkers();
  RequestWorkers(const RequestWorkers&) = delete;
  RequestWorkers& operator=(const RequestWorkers&) = delete;

  // Queues `job` for a worker; false (and `job` dropped) when max_queued wait already.
  bool post(std::function<void()> job);

 private:
  void work();
  std::mutex mu_;
  std::condition_variable wake_;
  std::deque<std::function<void()>> queue_;
  std::size_t max_queued_;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace convene::web
