// The spawner's own steps, with real children (/bin/sh): descriptors, the
// environment choice, a failed exec reported or left to exit 127.
#include "util/process.h"

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <string>

#include "util/testing.h"

namespace convene {
namespace {

std::string read_all(const std::filesystem::path& p) {
  std::string out;
  int fd = ::open(p.c_str(), O_RDONLY);
  char buf[256];
  for (ssize_t n; fd >= 0 && (n = ::read(fd, buf, sizeof buf)) > 0;) out.append(buf, n);
  if (fd >= 0) ::close(fd);
  return out;
}

TEST(SpawnProcess, GivesTheChildItsDescriptorsOnlyAndTheGivenEnvironment) {
  testing::TempDir dir;
  int out = ::open((dir / "out").c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
  int null = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  int stray = ::open("/dev/null", O_RDONLY);  // not close-on-exec: the spawner must close it anyway
  ASSERT_GE(stray, 3);
  SpawnSpec spec;
  spec.argv = {"/bin/sh", "-c", "echo \"$GREETING\"; ls /proc/self/fd | wc -l"};
  spec.env = std::vector<std::string>{"GREETING=hello", "PATH=/usr/bin:/bin"};
  spec.stdin_fd = null;
  spec.stdout_fd = out;
  spec.stderr_fd = out;
  auto pid = spawn_process(spec);
  ::close(out);
  ::close(null);
  ::close(stray);
  ASSERT_TRUE(pid) << pid.error().text();
  int status = wait_for_exit(*pid);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  // 0, 1, 2 and the one ls opens for /proc/self/fd: nothing of the parent's.
  EXPECT_EQ(read_all(dir / "out"), "hello\n4\n");
}

TEST(SpawnProcess, AFailedExecIsTheErrorWhenAskedElseExit127) {
  int null = ::open("/dev/null", O_RDWR | O_CLOEXEC);
  SpawnSpec spec;
  spec.argv = {"/nonexistent/program"};
  spec.stdin_fd = spec.stdout_fd = spec.stderr_fd = null;
  spec.report_exec_failure = true;
  auto reported = spawn_process(spec);
  ASSERT_FALSE(reported);
  EXPECT_NE(reported.error().message.find("cannot start /nonexistent/program"), std::string::npos)
      << reported.error().message;
  spec.report_exec_failure = false;
  auto pid = spawn_process(spec);
  ::close(null);
  ASSERT_TRUE(pid) << pid.error().text();
  int status = wait_for_exit(*pid);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 127);
}

}  // namespace
}  // namespace convene
