#pragma once
// A libuv loop running on its own thread, with a cross-thread task queue
// (uv_async_send). raft is not thread-safe: every raft call happens in a task
// or callback on this thread.
//
// Lifecycle: construct → start() → post()* → stop() (or destructor). stop()
// lets already-posted tasks run, then closes the async handle; the loop exits
// once every other handle is closed too (the owner closes its own handles
// before calling stop()), then the thread is joined.
// Thread safety: post() and in_loop_thread() from any thread; stop() from any
// thread except the loop thread.
#include <uv.h>

#include <deque>
#include <functional>
#include <mutex>
#include <thread>

namespace convene::cluster {

class LoopThread {
 public:
  LoopThread();
  ~LoopThread();
  LoopThread(const LoopThread&) = delete;
  LoopThread& operator=(const LoopThread&) = delete;

  uv_loop_t* loop() { return &loop_; }
  void start();
  // Queues `task` for the loop thread. Returns false, dropping (destroying) the
  // task, once stop() has begun.
  bool post(std::function<void()> task);
  bool in_loop_thread() const { return std::this_thread::get_id() == thread_.get_id(); }
  void stop();

 private:
  static void on_async(uv_async_t* handle);
  void drain();

  uv_loop_t loop_;
  uv_async_t async_;
  std::thread thread_;
  std::mutex mutex_;
  std::deque<std::function<void()>> tasks_;
  bool stopping_ = false;
  bool started_ = false;
};

}  // namespace convene::cluster
