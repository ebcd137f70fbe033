#include "admin/callbridge_supervisor.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <future>

#include "util/log.h"

extern char** environ;

namespace convene {

namespace fs = std::filesystem;
using std::chrono::milliseconds;
using clock_type = std::chrono::steady_clock;

struct CallbridgeSupervisor::Run {
  ChildLaunch launch;
  int wake = -1;  // eventfd: written by stop()
  std::promise<Status> first_start;
  ~Run() {
    if (wake >= 0) ::close(wake);
  }
};

namespace {

struct Child {
  pid_t pid = 0;
  int pidfd = -1;
  clock_type::time_point started;
};

int64_t unix_ms() {
  return std::chrono::duration_cast<milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

std::string describe_exit(int status) {
  if (WIFEXITED(status)) return "exit status " + std::to_string(WEXITSTATUS(status));
  if (WIFSIGNALED(status)) return "killed by signal " + std::to_string(WTERMSIG(status));
  return "ended (wait status " + std::to_string(status) + ")";
}

int wait_for_child(pid_t pid) {
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return status;
}

// Waits until one of `fds` is readable or `timeout` passes (negative: forever).
// Returns the index of the first readable one, or -1 on time-out.
int wait_readable(std::initializer_list<int> fds, int timeout_ms) {
  pollfd p[2];
  size_t n = 0;
  for (int fd : fds) p[n++] = pollfd{fd, POLLIN, 0};
  for (;;) {
    int r = ::poll(p, n, timeout_ms);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return -1;
    for (size_t i = 0; i < n; ++i)
      if (p[i].revents) return static_cast<int>(i);
    return -1;
  }
}

Result<Child> spawn(const ChildLaunch& launch) {
  if (launch.argv.empty()) return make_error("no program to start");
  std::error_code ec;
  fs::remove(launch.status_file, ec);
  // Everything the child needs is prepared before fork: after it, only
  // async-signal-safe calls (convened has other threads).
  std::vector<char*> argv;
  for (auto& a : launch.argv) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  int log = ::open(launch.log_file.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  if (log < 0) return make_error("cannot open the log file " + launch.log_file.string() + ": " + std::strerror(errno));
  int null = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  int exec_error[2];  // the child reports a failed exec here; closed (EOF) by a successful one
  if (null < 0 || ::pipe2(exec_error, O_CLOEXEC) != 0) {
    int e = errno;
    ::close(log);
    if (null >= 0) ::close(null);
    return make_error(std::string("cannot prepare the child's descriptors: ") + std::strerror(e));
  }
  pid_t parent = ::getpid();
  pid_t pid = ::fork();
  if (pid == 0) {
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    struct sigaction dfl {};
    dfl.sa_handler = SIG_DFL;
    sigaction(SIGPIPE, &dfl, nullptr);  // an ignored signal stays ignored across exec
    ::setsid();                         // a ^C at convened's terminal is for convened, which stops it
    ::prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (::getppid() != parent) _exit(1);  // convened died before the prctl
    ::dup2(null, 0);
    ::dup2(log, 1);
    ::dup2(log, 2);
    ::dup2(exec_error[1], 3);
    ::fcntl(3, F_SETFD, FD_CLOEXEC);
    ::syscall(SYS_close_range, 4U, ~0U, 0U);
    ::execve(argv[0], argv.data(), environ);
    int e = errno;
    [[maybe_unused]] auto n = ::write(3, &e, sizeof e);
    _exit(127);
  }
  int fork_errno = errno;
  ::close(log);
  ::close(null);
  ::close(exec_error[1]);
  if (pid < 0) {
    ::close(exec_error[0]);
    return make_error(std::string("fork: ") + std::strerror(fork_errno));
  }
  int e = 0;
  ssize_t n;
  do n = ::read(exec_error[0], &e, sizeof e);
  while (n < 0 && errno == EINTR);
  ::close(exec_error[0]);
  if (n == static_cast<ssize_t>(sizeof e)) {
    wait_for_child(pid);
    return make_error("cannot start " + launch.argv[0] + ": " + std::strerror(e));
  }
  int pidfd = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
  if (pidfd < 0) {
    int pe = errno;
    ::kill(pid, SIGKILL);
    wait_for_child(pid);
    return make_error(std::string("pidfd_open: ") + std::strerror(pe));
  }
  return Child{pid, pidfd, clock_type::now()};
}

}  // namespace

CallbridgeSupervisor::CallbridgeSupervisor(Timing timing) : timing_(timing) {}

CallbridgeSupervisor::~CallbridgeSupervisor() { stop(); }

void CallbridgeSupervisor::set_state(const std::function<void(SupervisedState&)>& change) {
  std::lock_guard lock(state_mutex_);
  change(state_);
}

SupervisedState CallbridgeSupervisor::state() const {
  std::lock_guard lock(state_mutex_);
  return state_;
}

Status CallbridgeSupervisor::start(ChildLaunch launch) {
  std::lock_guard control(control_mutex_);
  if (run_) {
    ::eventfd_write(run_->wake, 1);
    thread_.join();
    run_.reset();
  }
  auto run = std::make_shared<Run>();
  run->launch = std::move(launch);
  run->wake = ::eventfd(0, EFD_CLOEXEC);
  if (run->wake < 0) return make_error(std::string("eventfd: ") + std::strerror(errno));
  auto first = run->first_start.get_future();
  set_state([](SupervisedState& s) { s = SupervisedState{}; });
  run_ = run;
  thread_ = std::thread([this, run] { supervise(run); });
  Status outcome = first.get();
  if (!outcome) {
    thread_.join();  // it ends after a failed first start
    run_.reset();
  }
  return outcome;
}

void CallbridgeSupervisor::stop() {
  std::lock_guard control(control_mutex_);
  if (!run_) return;
  ::eventfd_write(run_->wake, 1);
  thread_.join();
  run_.reset();
  set_state([](SupervisedState& s) {
    s.supervising = false;
    s.pid = 0;
  });
}

void CallbridgeSupervisor::supervise(std::shared_ptr<Run> run) {
  auto log = logger("callbridge");
  std::string program = run->launch.argv.empty() ? std::string() : run->launch.argv[0];
  milliseconds delay = timing_.backoff_initial;
  bool first = true;
  for (;;) {
    auto child = spawn(run->launch);
    if (first && !child) {
      run->first_start.set_value(child.error());
      return;
    }
    if (child) {
      log->info("started {} (pid {})", program, child->pid);
      set_state([&](SupervisedState& s) {
        s.supervising = true;
        s.pid = child->pid;
        s.start_error.clear();
        s.started_unix_ms = unix_ms();
      });
      if (first) run->first_start.set_value(ok_status());  // after the pid is in the state start() returns to
      first = false;
      int ready = wait_readable({child->pidfd, run->wake}, -1);
      if (ready == 1) {  // stop(): SIGTERM, and SIGKILL if it does not go in time
        ::kill(child->pid, SIGTERM);  // safe by pid: not reaped yet, so the pid is still its
        if (wait_readable({child->pidfd}, static_cast<int>(timing_.stop_bound.count())) < 0) {
          log->warn("{} (pid {}) did not stop within {} ms of SIGTERM: SIGKILL", program, child->pid,
                    timing_.stop_bound.count());
          ::kill(child->pid, SIGKILL);
        }
        int status = wait_for_child(child->pid);
        ::close(child->pidfd);
        log->info("stopped {} (pid {}): {}", program, child->pid, describe_exit(status));
        set_state([](SupervisedState& s) { s.pid = 0; });
        return;
      }
      int status = wait_for_child(child->pid);
      ::close(child->pidfd);
      if (clock_type::now() - child->started >= timing_.stable_after) delay = timing_.backoff_initial;
      std::string how = describe_exit(status);
      log->warn("{} (pid {}) ended unexpectedly: {}; restarting in {} ms", program, child->pid, how, delay.count());
      set_state([&](SupervisedState& s) {
        s.pid = 0;
        s.last_exit = how;
        s.restarts++;
      });
    } else {
      log->error("{}; trying again in {} ms", child.error().text(), delay.count());
      set_state([&](SupervisedState& s) {
        s.start_error = child.error().message;
        s.restarts++;
      });
    }
    // Bounded back-off, cut short by stop().
    if (wait_readable({run->wake}, static_cast<int>(delay.count())) == 0) return;
    delay = std::min(delay * 2, timing_.backoff_max);
  }
}

}  // namespace convene
