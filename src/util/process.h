#pragma once
// The one place that forks and execs a child program: the database agent's
// PostgreSQL tools (dbcluster/process.h) and the supervised call bridge
// (admin/callbridge_supervisor.h) both start theirs here, each choosing what
// differs between them in SpawnSpec; the rest is always done:
//   - the child gets a new session (a ^C at convened's terminal is for convened),
//     an empty signal mask, the given descriptors as 0, 1 and 2, and no other
//     descriptor of convened (close_range after the dup2s): never the admin
//     socket, the node lock or a peer's connection;
//   - everything the child needs is prepared before fork: after it, only
//     async-signal-safe calls, because convened has other threads.
//
// PR_SET_PDEATHSIG is tied by the kernel to the *thread* that forks, so a caller
// asking for it must call spawn_process from a thread that lives as long as the
// child should (the supervisor's own thread, not a conversation thread).
//
// Thread-safe: each call forks its own child; callable from any thread.
#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

#include "util/result.h"

namespace convene {

struct RunAsAccount {
  unsigned uid = 0;
  unsigned gid = 0;            // also the only supplementary group
  std::string directory = "/tmp";  // changed to after the switch (the account may not reach the caller's)
};

struct SpawnSpec {
  std::vector<std::string> argv;  // argv[0]: the program's absolute path
  // The whole environment; unset: convened's own.
  std::optional<std::vector<std::string>> env;
  // Become this account (setgroups, setgid, setuid) before exec; a child that
  // cannot exits with 126.
  std::optional<RunAsAccount> run_as;
  // Dup'ed onto the child's 0, 1, 2; the caller closes its copies afterwards.
  int stdin_fd = -1, stdout_fd = -1, stderr_fd = -1;
  // A signal the child gets when the forking thread ends (PR_SET_PDEATHSIG); 0: none.
  // A child whose parent is already gone by then exits at once.
  int parent_death_signal = 0;
  // SIGPIPE back to its default (an ignored signal stays ignored across exec).
  bool default_sigpipe = false;
  // A failed exec is the error of spawn_process (its errno, through a pipe closed
  // by a successful exec) and the child is reaped; otherwise the child exits 127.
  bool report_exec_failure = false;
};

// Forks and execs; returns the child's pid. Fails when fork fails (or, with
// report_exec_failure, when exec does).
Result<pid_t> spawn_process(const SpawnSpec& spec);

// waitpid for `pid`, retried on EINTR; the wait status.
int wait_for_exit(pid_t pid);

}  // namespace convene
