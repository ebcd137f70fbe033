// convene-pgguard: runs one PostgreSQL postmaster as its child and stops it at
// once (SIGQUIT: immediate shutdown, every backend goes with it) when the lease
// convened's database agent holds on it ends (dbcluster/postgres_lease.h):
//   - its stdin (a socket from the agent) reaches EOF: convened is gone (kill -9,
//     crash), the kernel closed its end;
//   - no renewal came for the lease's length: convened is stalled (SIGSTOP, a
//     hung machine) or no longer allows writes (a master without a majority).
// So a node's PostgreSQL cannot keep taking writes after its agent stopped
// watching: writers find it gone and move on to the new master.
//
// Why a process of its own rather than a thread of convened: it must outlive a
// kill -9 of convened just long enough to stop PostgreSQL, and must not depend on
// convened being scheduled. Why the postmaster is its child: the guard waits on it
// (pidfd), and the postmaster gets SIGQUIT from the kernel if the guard itself is
// killed (PR_SET_PDEATHSIG; set by util/process after this process already runs
// as postgres, so no credential change clears it).
//
// Usage (convened starts it as user postgres):
//   convene-pgguard --lease-ms N --log FILE -- /usr/lib/postgresql/15/bin/postgres -D DATA
// FILE (the server log) is opened here, as postgres, for appending, and becomes
// the postmaster's stdout and stderr and the guard's own: convened, as root, never
// opens a file in a directory postgres owns.
// Exit: the postmaster's own exit status when it ended by itself (pg_ctl stop),
// 3 after fencing it, 2 on a usage error.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <string>
#include <vector>

#include "dbcluster/postgres_lease.h"
#include "util/process.h"

using namespace convene;
using namespace convene::dbcluster;
using Clock = Lease::Clock;

namespace {

constexpr auto kShutdownBound = std::chrono::seconds(10);  // SIGQUIT, then SIGKILL

// One line on stderr (the server log), in the log's own UTC time style.
void say(const std::string& text) {
  char when[32];
  std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  std::strftime(when, sizeof when, "%Y-%m-%d %H:%M:%S UTC", &tm);
  std::fprintf(stderr, "%s [%d] convene-pgguard: %s\n", when, static_cast<int>(getpid()), text.c_str());
  std::fflush(stderr);
}

int exit_code_of(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return 1;
}

// Waits up to `bound` for the child to end (its pidfd readable).
bool wait_ended(int pidfd, std::chrono::milliseconds bound) {
  struct pollfd p {pidfd, POLLIN, 0};
  auto deadline = Clock::now() + bound;
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    if (left <= 0) return false;
    int r = poll(&p, 1, static_cast<int>(left));
    if (r > 0) return true;
    if (r < 0 && errno != EINTR) return false;
  }
}

// Immediate shutdown of the postmaster, bounded; the guard's exit code.
int fence(pid_t child, int pidfd, const std::string& why) {
  say(why + ": stopping PostgreSQL at once (immediate shutdown)");
  kill(child, SIGQUIT);
  if (!wait_ended(pidfd, kShutdownBound)) {
    say("PostgreSQL did not stop within " + std::to_string(kShutdownBound.count()) + " s: killing it");
    kill(child, SIGKILL);
  }
  wait_for_exit(child);
  say("PostgreSQL stopped");
  return 3;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  std::chrono::milliseconds length{0};
  if (args.size() >= 6 && args[0] == "--lease-ms" && args[2] == "--log" && args[4] == "--") {
    if (auto l = parse_renewal("renew " + args[1])) length = *l;
  }
  constexpr std::size_t kProgram = 5;
  if (length.count() == 0 || args.size() <= kProgram || args[kProgram].empty() || args[kProgram][0] != '/') {
    std::fprintf(stderr,
                 "ERROR: usage: convene-pgguard --lease-ms N --log FILE -- /absolute/path/postgres ARGS...\n"
                 "  convened starts this program; N is the lease in milliseconds (1..%lld).\n",
                 static_cast<long long>(kLeaseMax.count()));
    return 2;
  }
  int log = open(args[3].c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (log < 0) {
    std::fprintf(stderr, "ERROR: convene-pgguard cannot open the log '%s': %s\n", args[3].c_str(), std::strerror(errno));
    return 2;
  }
  dup2(log, 1);
  dup2(log, 2);
  close(log);
  // The agent's end may close while we write nothing to it; and a signal to stop
  // the guard is a reason to fence, not to leave PostgreSQL running: the default
  // actions end this process, and the kernel then sends the postmaster SIGQUIT.
  signal(SIGPIPE, SIG_IGN);

  int devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
  SpawnSpec spec;
  spec.argv.assign(args.begin() + kProgram, args.end());
  spec.stdin_fd = devnull;  // the postmaster must not hold the lease socket
  spec.stdout_fd = 1;
  spec.stderr_fd = 2;
  spec.parent_death_signal = SIGQUIT;
  spec.report_exec_failure = true;
  auto lease = Lease(Clock::now(), length);
  auto spawned = spawn_process(spec);
  if (devnull >= 0) close(devnull);
  if (!spawned) {
    say(spawned.error().message);
    return 1;
  }
  pid_t child = *spawned;
  int pidfd = static_cast<int>(syscall(SYS_pidfd_open, child, 0));
  if (pidfd < 0) {
    int e = errno;
    kill(child, SIGQUIT);
    wait_for_exit(child);
    say(std::string("pidfd_open: ") + std::strerror(e));
    return 1;
  }

  std::string pending;
  char buf[512];
  for (;;) {
    auto now = Clock::now();
    if (lease.expired(now)) return fence(child, pidfd, "the lease was not renewed in time (convened stalled or fenced this node)");
    struct pollfd fds[2] = {{0, POLLIN, 0}, {pidfd, POLLIN, 0}};
    int r = poll(fds, 2, static_cast<int>(lease.left(now).count()));
    if (r < 0 && errno != EINTR) return fence(child, pidfd, std::string("poll: ") + std::strerror(errno));
    if (r <= 0) continue;
    if (fds[1].revents) {  // the postmaster ended by itself (pg_ctl stop, a crash)
      return exit_code_of(wait_for_exit(child));
    }
    if (fds[0].revents) {
      ssize_t n = read(0, buf, sizeof buf);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return fence(child, pidfd, "convened's end of the lease closed (convened is gone)");
      pending.append(buf, static_cast<size_t>(n));
      for (auto nl = pending.find('\n'); nl != std::string::npos; nl = pending.find('\n')) {
        auto line = pending.substr(0, nl);
        pending.erase(0, nl + 1);
        if (auto l = parse_renewal(line)) lease.renew(Clock::now(), *l);
        else say("ignored a line that is no lease renewal");
      }
      if (pending.size() > 256) pending.clear();  // no line is that long: drop garbage
    }
  }
}
