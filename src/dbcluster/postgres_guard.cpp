#include "dbcluster/postgres_guard.h"

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <thread>

#include "dbcluster/postgres_lease.h"
#include "dbcluster/process.h"
#include "util/process.h"

namespace convene::dbcluster {

namespace fs = std::filesystem;

fs::path pgguard_program() {
  std::error_code ec;
  fs::path self = fs::read_symlink("/proc/self/exe", ec);
  return (ec ? fs::path("/usr/local/bin") : self.parent_path()) / "convene-pgguard";
}

pid_t parent_of(pid_t pid) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string text;
  if (!std::getline(stat, text)) return 0;
  // "pid (comm) state ppid ...": comm may hold spaces and parentheses, so from the last ')'.
  auto close = text.rfind(')');
  if (close == std::string::npos) return 0;
  char state = 0;
  long ppid = 0;
  if (std::sscanf(text.c_str() + close + 1, " %c %ld", &state, &ppid) != 2) return 0;
  return static_cast<pid_t>(ppid);
}

PostgresGuard::~PostgresGuard() {
  std::lock_guard lock(mutex_);
  // Closing our end fences the postmaster (the guard's EOF): the agent stops
  // PostgreSQL in order before it gets here; this is for the error paths.
  if (socket_ >= 0) ::close(socket_);
  socket_ = -1;
}

bool has_running_child(pid_t pid) {
  std::ifstream children("/proc/" + std::to_string(pid) + "/task/" + std::to_string(pid) + "/children");
  pid_t child = 0;
  while (children >> child) {
    // /proc/PID/stat: "pid (comm) state ...": comm may hold spaces and parentheses.
    std::ifstream stat("/proc/" + std::to_string(child) + "/stat");
    std::string line;
    std::getline(stat, line);
    auto close = line.rfind(')');
    if (close == std::string::npos || close + 2 >= line.size()) continue;  // gone meanwhile
    if (line[close + 2] != 'Z') return true;
  }
  return false;
}

void PostgresGuard::reap_locked() {
  if (pid_ == 0) return;
  int status = 0;
  pid_t w = ::waitpid(pid_, &status, WNOHANG);
  if (w == 0) return;  // still running
  pid_ = 0;
  if (socket_ >= 0) ::close(socket_);
  socket_ = -1;
}

Result<pid_t> PostgresGuard::start(const std::vector<std::string>& postgres_argv, const fs::path& log_file) {
  // A guard whose PostgreSQL was just stopped exits a moment after it (longer on a
  // loaded machine), so a start right after a stop (`database cluster remove`, then
  // `initialize`; the restart inside a remove) waits for that, up to 5 s, without
  // the mutex: renewals go on. pg_ctl's stop returns once the postmaster removed its
  // pid file: the postmaster may still be exiting then, and once it has, it stays the
  // guard's child until the guard reaps it (a zombie: the guard, starved of CPU on a
  // loaded machine, took most of a second). So a child that exited does not count,
  // and one that runs is given 500 ms to exit before the start is refused, below.
  for (int i = 0; i < 250; ++i) {
    pid_t running = pid();
    if (running == 0 || (i >= 25 && has_running_child(running))) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  std::lock_guard lock(mutex_);
  reap_locked();
  if (pid_ != 0) return make_error("a PostgreSQL guard already runs (pid " + std::to_string(pid_) + ")");
  auto account = postgres_account();
  if (!account) return account.error();
  fs::path program = pgguard_program();
  if (::access(program.c_str(), X_OK) != 0)
    return make_error("the PostgreSQL guard " + program.string() + " is missing or not executable",
                      "Install convene-pgguard next to convened.");
  int pair[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) != 0)
    return make_error(std::string("socketpair: ") + std::strerror(errno));
  SpawnSpec spec;
  spec.argv = {program.string(), "--lease-ms", std::to_string(kLeaseLength.count()), "--log", log_file.string(), "--"};
  spec.argv.insert(spec.argv.end(), postgres_argv.begin(), postgres_argv.end());
  spec.env = std::vector<std::string>{"PATH=/usr/lib/postgresql/15/bin:/usr/bin:/bin", "LANG=C.UTF-8",
                                      "LC_ALL=C.UTF-8", "HOME=/var/lib/postgresql"};
  spec.run_as = RunAsAccount{account->uid, account->gid, "/tmp"};
  spec.stdin_fd = pair[1];
  // Until the guard has opened the server log (as postgres): convened's own output.
  spec.stdout_fd = 2;
  spec.stderr_fd = 2;
  spec.default_sigpipe = true;
  spec.report_exec_failure = true;
  // No parent_death_signal: the kernel ties it to the forking thread (an admin
  // conversation's may end with its command), and setuid would clear it anyway.
  // The guard learns of convened's death from EOF on the socket instead.
  auto spawned = spawn_process(spec);
  ::close(pair[1]);
  if (!spawned) {
    ::close(pair[0]);
    return spawned.error();
  }
  // Non-blocking: a renewal never waits on a guard that does not read.
  ::fcntl(pair[0], F_SETFL, ::fcntl(pair[0], F_GETFL) | O_NONBLOCK);
  pid_ = *spawned;
  socket_ = pair[0];
  return pid_;
}

void PostgresGuard::renew(std::chrono::milliseconds length) {
  std::lock_guard lock(mutex_);
  reap_locked();
  if (socket_ < 0) return;
  auto line = renewal_line(length);
  // A full buffer (the guard stalled) or a gone guard: nothing to do here; the
  // guard fences on its own clock, and the reaper sees it end.
  [[maybe_unused]] auto n = ::send(socket_, line.data(), line.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
}

pid_t PostgresGuard::pid() {
  std::lock_guard lock(mutex_);
  reap_locked();
  return pid_;
}

bool PostgresGuard::guards(pid_t postmaster) {
  std::lock_guard lock(mutex_);
  reap_locked();
  return pid_ != 0 && postmaster > 0 && parent_of(postmaster) == pid_;
}

}  // namespace convene::dbcluster
