#include "admin/callbridge_supervisor.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <future>

#include "util/log.h"
#include "util/process.h"
#include "util/thread_name.h"

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
  int log = ::open(launch.log_file.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  if (log < 0) return make_error("cannot open the log file " + launch.log_file.string() + ": " + std::strerror(errno));
  int null = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  if (null < 0) {
    int e = errno;
    ::close(log);
    return make_error(std::string("cannot prepare the child's descriptors: ") + std::strerror(e));
  }
  SpawnSpec spec;
  spec.argv = launch.argv;
  spec.stdin_fd = null;
  spec.stdout_fd = log;
  spec.stderr_fd = log;
  spec.parent_death_signal = SIGTERM;  // this thread is the supervisor's own (see the header)
  spec.default_sigpipe = true;
  spec.report_exec_failure = true;
  auto pid = spawn_process(spec);
  ::close(log);
  ::close(null);
  if (!pid) return pid.error();
  int pidfd = static_cast<int>(::syscall(SYS_pidfd_open, *pid, 0));
  if (pidfd < 0) {
    int pe = errno;
    ::kill(*pid, SIGKILL);
    wait_for_exit(*pid);
    return make_error(std::string("pidfd_open: ") + std::strerror(pe));
  }
  return Child{*pid, pidfd, clock_type::now()};
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
  thread_ = std::thread([this, run] {
    set_thread_name("cb-supervise");
    supervise(run);
  });
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
        int status = wait_for_exit(child->pid);
        ::close(child->pidfd);
        log->info("stopped {} (pid {}): {}", program, child->pid, describe_exit(status));
        set_state([](SupervisedState& s) { s.pid = 0; });
        return;
      }
      int status = wait_for_exit(child->pid);
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
