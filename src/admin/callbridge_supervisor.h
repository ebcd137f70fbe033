#pragma once
// Keeps one convene-callbridge process running for convened: started with
// the arguments the `callbridge ...` settings give, restarted with a bounded
// back-off when it exits on its own (its exit status logged), stopped by pid with
// SIGTERM and then SIGKILL after a bound, and always reaped.
//
// Why a thread of its own does the fork: the child asks the kernel for SIGTERM
// when its parent goes (PR_SET_PDEATHSIG, so a kill -9 of convened leaves no
// orphan holding the call bridge's name), and the kernel means the forking
// *thread* — an admin conversation thread ends with its command. That thread
// waits on a pidfd and a wake-up eventfd: no polling.
//
// The child gets stdin from /dev/null, stdout and stderr appended to its log file,
// an empty signal mask and default dispositions, and no other descriptor of
// convened (close_range after the dup2s): never the admin socket or the node lock.
// The fork and those steps are the tree's one spawner's (util/process.h); a failed
// exec is reported back through it, and the supervisor adds the pidfd.
//
// Thread-safety: start/stop/state may be called from any thread; start and stop
// are serialized.
#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "util/result.h"

namespace convene {

struct ChildLaunch {
  std::vector<std::string> argv;         // argv[0]: the program's absolute path
  std::filesystem::path log_file;        // stdout and stderr, appended
  std::filesystem::path status_file;     // removed before each start: what it says is the current process's
};

struct SupervisedState {
  bool supervising = false;   // started and not stopped
  pid_t pid = 0;              // 0 while not running (between restarts, or stopped)
  int restarts = 0;           // unexpected exits restarted since the last start()
  std::string last_exit;      // "exit status 1", "killed by signal 9"; empty if none since start()
  std::string start_error;    // why the last restart could not start the program
  int64_t started_unix_ms = 0;
};

class CallbridgeSupervisor {
 public:
  struct Timing {
    std::chrono::milliseconds backoff_initial{250};
    std::chrono::milliseconds backoff_max{10000};
    std::chrono::milliseconds stable_after{60000};  // a child that ran this long resets the back-off
    std::chrono::milliseconds stop_bound{5000};     // SIGTERM, then SIGKILL after this
  };

  CallbridgeSupervisor() : CallbridgeSupervisor(Timing{}) {}
  explicit CallbridgeSupervisor(Timing timing);
  ~CallbridgeSupervisor();
  CallbridgeSupervisor(const CallbridgeSupervisor&) = delete;
  CallbridgeSupervisor& operator=(const CallbridgeSupervisor&) = delete;

  // Stops a running child, then starts `launch` and supervises it. Fails (and
  // supervises nothing) when the program cannot be started at all.
  Status start(ChildLaunch launch);
  // Stops the child and its supervision; waits until it is reaped.
  void stop();
  SupervisedState state() const;

 private:
  struct Run;
  void supervise(std::shared_ptr<Run> run);
  void set_state(const std::function<void(SupervisedState&)>& change);

  Timing timing_;
  std::mutex control_mutex_;  // serializes start/stop
  mutable std::mutex state_mutex_;
  SupervisedState state_;
  std::shared_ptr<Run> run_;
  std::thread thread_;
};

}  // namespace convene
