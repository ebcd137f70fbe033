#pragma once
// The agent's side of the guard that runs PostgreSQL (apps/pgguard.cpp): starts
// `convene-pgguard` (next to convened) as postgres with one end of a socket pair
// as its stdin, keeps the other end, and renews the lease over it
// (postgres_lease.h). The kernel closes our end when convened dies, which the
// guard takes as the order to stop PostgreSQL.
//
// Our end is close-on-exec and every child convened spawns gets only 0-2
// (util/process.h), so no other program holds it open after convened is gone.
//
// Thread-safety: every method may be called from any thread (one mutex): the
// agent starts a guard under its command mutex, the lease keeper renews it
// without that mutex (a command may run for minutes; the lease may not wait).
#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <mutex>
#include <string>
#include <vector>

#include "util/result.h"

namespace convene::dbcluster {

// Whether process `pid` has a child that still runs (one that exited and waits to
// be reaped, a zombie, does not count): a guard without one is ending.
bool has_running_child(pid_t pid);

class PostgresGuard {
 public:
  PostgresGuard() = default;
  PostgresGuard(const PostgresGuard&) = delete;
  PostgresGuard& operator=(const PostgresGuard&) = delete;
  ~PostgresGuard();

  // Starts a guard running `postgres_argv` (stdout and stderr appended to
  // `log_file`); the previous guard must have ended. Returns the guard's pid.
  Result<pid_t> start(const std::vector<std::string>& postgres_argv, const std::filesystem::path& log_file);
  // Sends a renewal for `length`; reaps a guard that ended. Nothing when none runs.
  void renew(std::chrono::milliseconds length);
  // The running guard's pid, 0 when none (an ended one is reaped first).
  pid_t pid();
  // Whether `postmaster` is the child of our running guard.
  bool guards(pid_t postmaster);

 private:
  void reap_locked();

  std::mutex mutex_;
  pid_t pid_ = 0;
  int socket_ = -1;  // our end of the lease
};

// convene-pgguard in the directory of the running convened.
std::filesystem::path pgguard_program();
// The parent pid of `pid` (/proc/PID/stat), 0 when it cannot be read.
pid_t parent_of(pid_t pid);

}  // namespace convene::dbcluster
