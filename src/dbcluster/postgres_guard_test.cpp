// The guard's start after a stop: a PostgreSQL that exited and waits for its guard
// to reap it is an ending guard's, not a running one.
#include "dbcluster/postgres_guard.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

namespace convene::dbcluster {
namespace {

TEST(PostgresGuard, AChildThatExitedAndIsNotReapedYetDoesNotRun) {
  // pg_ctl's stop returned (the pid file is gone) while the postmaster was still
  // its guard's child: a zombie until the guard, short of CPU, reaped it. The next
  // start (the restart inside `database cluster remove`) was refused as if
  // PostgreSQL still ran, and the remove failed.
  ASSERT_FALSE(has_running_child(getpid()));
  pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    ::pause();
    ::_exit(0);
  }
  EXPECT_TRUE(has_running_child(getpid()));
  ::kill(child, SIGTERM);
  siginfo_t info{};
  ASSERT_EQ(::waitid(P_PID, child, &info, WEXITED | WNOWAIT), 0);  // exited, left unreaped
  EXPECT_FALSE(has_running_child(getpid()));
  ::waitpid(child, nullptr, 0);
}

}  // namespace
}  // namespace convene::dbcluster
