#include "util/process.h"

#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

extern char** environ;

namespace convene {

int wait_for_exit(pid_t pid) {
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return status;
}

Result<pid_t> spawn_process(const SpawnSpec& spec) {
  if (spec.argv.empty()) return make_error("no program given");
  std::vector<char*> argv, envp;
  for (auto& a : spec.argv) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  if (spec.env) {
    for (auto& e : *spec.env) envp.push_back(const_cast<char*>(e.c_str()));
    envp.push_back(nullptr);
  }
  char* const* child_env = spec.env ? envp.data() : environ;
  int exec_error[2] = {-1, -1};  // the child reports a failed exec here; closed (EOF) by a successful one
  if (spec.report_exec_failure && ::pipe2(exec_error, O_CLOEXEC) != 0)
    return make_error(std::string("cannot prepare the child's descriptors: ") + std::strerror(errno));
  const RunAsAccount* account = spec.run_as ? &*spec.run_as : nullptr;
  pid_t parent = ::getpid();
  pid_t pid = ::fork();
  if (pid == 0) {
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    if (spec.default_sigpipe) {
      struct sigaction dfl {};
      dfl.sa_handler = SIG_DFL;
      sigaction(SIGPIPE, &dfl, nullptr);
    }
    ::setsid();
    if (spec.parent_death_signal) {
      ::prctl(PR_SET_PDEATHSIG, spec.parent_death_signal);
      if (::getppid() != parent) _exit(1);  // the parent died before the prctl
    }
    ::dup2(spec.stdin_fd, 0);
    ::dup2(spec.stdout_fd, 1);
    ::dup2(spec.stderr_fd, 2);
    unsigned first_closed = 3;
    if (spec.report_exec_failure) {
      ::dup2(exec_error[1], 3);
      ::fcntl(3, F_SETFD, FD_CLOEXEC);
      first_closed = 4;
    }
    ::syscall(SYS_close_range, first_closed, ~0U, 0U);
    if (account) {
      gid_t groups[1] = {static_cast<gid_t>(account->gid)};
      if (::setgroups(1, groups) != 0 || ::setgid(account->gid) != 0 || ::setuid(account->uid) != 0) _exit(126);
      if (::chdir(account->directory.c_str()) != 0) _exit(126);
    }
    ::execve(argv[0], argv.data(), child_env);
    if (spec.report_exec_failure) {
      int e = errno;
      [[maybe_unused]] auto n = ::write(3, &e, sizeof e);
    }
    _exit(127);
  }
  int fork_errno = errno;
  if (spec.report_exec_failure) ::close(exec_error[1]);
  if (pid < 0) {
    if (spec.report_exec_failure) ::close(exec_error[0]);
    return make_error(std::string("fork: ") + std::strerror(fork_errno));
  }
  if (spec.report_exec_failure) {
    int e = 0;
    ssize_t n;
    do n = ::read(exec_error[0], &e, sizeof e);
    while (n < 0 && errno == EINTR);
    ::close(exec_error[0]);
    if (n == static_cast<ssize_t>(sizeof e)) {
      wait_for_exit(pid);
      return make_error("cannot start " + spec.argv[0] + ": " + std::strerror(e));
    }
  }
  return pid;
}

}  // namespace convene
