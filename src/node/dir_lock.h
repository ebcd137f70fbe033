#pragma once
// Exclusive ownership of a node directory: an flock held for the daemon's lifetime.
// The kernel drops it when the process dies, even by kill -9, so a crash never
// leaves a stale lock behind.
#include <filesystem>
#include <memory>

#include "util/result.h"

namespace convene {

class DirLock {
 public:
  // Fails with the holder's pid when another process owns the directory.
  static Result<std::unique_ptr<DirLock>> acquire(const std::filesystem::path& lock_file);
  ~DirLock();
  DirLock(const DirLock&) = delete;
  DirLock& operator=(const DirLock&) = delete;

 private:
  explicit DirLock(int fd) : fd_(fd) {}
  int fd_;
};

}  // namespace convene
