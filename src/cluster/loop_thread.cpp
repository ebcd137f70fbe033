#include "cluster/loop_thread.h"
#include "util/thread_name.h"

#include <stdexcept>

namespace convene::cluster {

LoopThread::LoopThread() {
  if (uv_loop_init(&loop_) != 0 || uv_async_init(&loop_, &async_, &LoopThread::on_async) != 0)
    throw std::runtime_error("cannot initialise a libuv loop");
  async_.data = this;
}

LoopThread::~LoopThread() {
  stop();
  if (!started_) {  // never ran: close the async handle and the loop here
    uv_close(reinterpret_cast<uv_handle_t*>(&async_), nullptr);
    uv_run(&loop_, UV_RUN_DEFAULT);
  }
  uv_loop_close(&loop_);
}

void LoopThread::start() {
  started_ = true;
  thread_ = std::thread([this] {
    set_thread_name("raft-loop");
    uv_run(&loop_, UV_RUN_DEFAULT);
  });
}

bool LoopThread::post(std::function<void()> task) {
  std::lock_guard lock(mutex_);
  if (stopping_) return false;
  tasks_.push_back(std::move(task));
  uv_async_send(&async_);
  return true;
}

void LoopThread::stop() {
  {
    std::lock_guard lock(mutex_);
    if (stopping_) return;
    stopping_ = true;
    if (started_) uv_async_send(&async_);
  }
  if (thread_.joinable()) thread_.join();
}

void LoopThread::on_async(uv_async_t* handle) { static_cast<LoopThread*>(handle->data)->drain(); }

void LoopThread::drain() {
  for (;;) {
    std::function<void()> task;
    {
      std::lock_guard lock(mutex_);
      if (tasks_.empty()) {
        if (stopping_ && !uv_is_closing(reinterpret_cast<uv_handle_t*>(&async_)))
          uv_close(reinterpret_cast<uv_handle_t*>(&async_), nullptr);
        return;
      }
      task = std::move(tasks_.front());
      tasks_.pop_front();
    }
    task();
  }
}

}  // namespace convene::cluster
