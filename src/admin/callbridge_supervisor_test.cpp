// The supervisor with a real child (/bin/sleep stands in for convene-callbridge):
// restarted after kill -9 under a new pid, stopped and reaped by stop().
#include "admin/callbridge_supervisor.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <cerrno>
#include <map>
#include <thread>

#include "util/files.h"
#include "util/testing.h"

namespace convene {
namespace {

using namespace std::chrono_literals;

// Bounded poll (no sleeps as synchronization): true once `condition` holds.
template <class F>
bool eventually(F condition, std::chrono::milliseconds bound = 10s) {
  auto deadline = std::chrono::steady_clock::now() + bound;
  while (std::chrono::steady_clock::now() < deadline) {
    if (condition()) return true;
    std::this_thread::sleep_for(10ms);
  }
  return condition();
}

bool gone(pid_t pid) { return ::kill(pid, 0) != 0 && errno == ESRCH; }  // reaped, not a zombie

ChildLaunch sleeper(const testing::TempDir& dir) {
  return {{"/bin/sleep", "1000"}, dir / "child.log", dir / "status.json"};
}

TEST(CallbridgeSupervisor, RestartsAChildKilledAndCountsIt) {
  testing::TempDir dir;
  CallbridgeSupervisor supervisor({10ms, 100ms, 60s, 2s});
  ASSERT_TRUE(supervisor.start(sleeper(dir)));
  pid_t first = supervisor.state().pid;
  ASSERT_GT(first, 0);
  ASSERT_EQ(::kill(first, SIGKILL), 0);
  ASSERT_TRUE(eventually([&] { auto s = supervisor.state(); return s.pid != 0 && s.pid != first; }));
  auto s = supervisor.state();
  EXPECT_EQ(s.restarts, 1);
  EXPECT_EQ(s.last_exit, "killed by signal 9");
  EXPECT_TRUE(gone(first));
  supervisor.stop();
  EXPECT_TRUE(gone(s.pid));
  EXPECT_EQ(supervisor.state().pid, 0);
}

TEST(CallbridgeSupervisor, RemovesTheOldStatusBeforeStartingAndPassesOnNoDescriptor) {
  testing::TempDir dir;
  auto launch = sleeper(dir);
  ASSERT_TRUE(write_file_atomic(launch.status_file, "{\"state\":\"connected\"}\n"));
  // A descriptor of this process opened without O_CLOEXEC, as a careless library would.
  ASSERT_TRUE(write_file_atomic(dir / "marker", "x"));
  int leaky = ::open((dir / "marker").c_str(), O_RDONLY);
  ASSERT_GE(leaky, 0);
  CallbridgeSupervisor supervisor;
  ASSERT_TRUE(supervisor.start(launch));
  EXPECT_FALSE(std::filesystem::exists(launch.status_file));
  pid_t pid = supervisor.state().pid;
  // stdin /dev/null, stdout and stderr the log, and nothing of this process (the
  // dynamic loader of the child may hold a library open for a moment: not ours).
  std::map<std::string, std::string> fds;
  for (auto& e : std::filesystem::directory_iterator("/proc/" + std::to_string(pid) + "/fd")) {
    std::error_code ec;
    fds[e.path().filename().string()] = std::filesystem::read_symlink(e.path(), ec).string();
  }
  EXPECT_EQ(fds["0"], "/dev/null");
  EXPECT_EQ(fds["1"], launch.log_file.string());
  EXPECT_EQ(fds["2"], launch.log_file.string());
  for (auto& [fd, target] : fds) EXPECT_NE(target, (dir / "marker").string()) << "fd " << fd;
  ::close(leaky);
  supervisor.stop();
  EXPECT_TRUE(gone(pid));
}

TEST(CallbridgeSupervisor, AProgramThatCannotStartIsAnErrorAndNothingRuns) {
  testing::TempDir dir;
  CallbridgeSupervisor supervisor;
  auto st = supervisor.start({{(dir / "missing").string()}, dir / "child.log", dir / "status.json"});
  ASSERT_FALSE(st);
  EXPECT_NE(st.error().message.find("cannot start"), std::string::npos) << st.error().message;
  EXPECT_FALSE(supervisor.state().supervising);
  EXPECT_EQ(supervisor.state().pid, 0);
}

TEST(CallbridgeSupervisor, AChildIgnoringSigtermIsKilledAfterTheBound) {
  testing::TempDir dir;
  CallbridgeSupervisor supervisor({10ms, 100ms, 60s, 200ms});
  // The shell says it is ready (trap set) in the log before the test stops it.
  ASSERT_TRUE(supervisor.start({{"/bin/sh", "-c", "trap '' TERM; echo ready; while :; do sleep 1; done"},
                                dir / "child.log", dir / "status.json"}));
  pid_t pid = supervisor.state().pid;
  ASSERT_TRUE(eventually([&] {
    auto text = read_file(dir / "child.log");
    return text && text->find("ready") != std::string::npos;
  }));
  supervisor.stop();
  EXPECT_TRUE(gone(pid));
}

}  // namespace
}  // namespace convene
