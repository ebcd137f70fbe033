#pragma once
// The one seam through which the database cluster runs other programs (STYLE habit
// 9): PostgreSQL's tools run as the `postgres` user (PostgreSQL refuses to run as
// root), with a clean environment, no inherited descriptors, a bounded time, and
// their output captured for the error an operator sees. The fork itself is the
// tree's one spawner's (util/process.h); here are the account, the environment,
// the pipes and the time bound.
//
// Thread-safe: each call forks its own child; callable from any thread.
#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

#include "util/result.h"

namespace convene::dbcluster {

struct ProcessResult {
  int exit_code = -1;  // -1 when killed by a signal or the time ran out
  bool timed_out = false;
  std::string output;  // stdout and stderr, interleaved
};

struct RunOptions {
  bool as_postgres = true;                 // setuid to the `postgres` account first
  std::chrono::milliseconds timeout{60000};
  std::vector<std::string> env;            // extra "NAME=value" entries
  std::string stdin_text;                  // fed to the child's stdin
  std::filesystem::path stdout_file;       // when set, stdout goes there (stderr is captured)
};

// Runs argv[0] (an absolute path) and waits for it. Fails only when it cannot be
// started; a non-zero exit is reported in the result.
Result<ProcessResult> run_program(const std::vector<std::string>& argv, const RunOptions& options = {});

// run_program, and a non-zero exit becomes an Error "<what> failed: <output tail>".
Status run_checked(const std::string& what, const std::vector<std::string>& argv, const RunOptions& options = {});

struct PostgresAccount {
  unsigned uid = 0;
  unsigned gid = 0;
};
// The `postgres` account; an error saying to install PostgreSQL when absent.
Result<PostgresAccount> postgres_account();

// chown -R to the postgres account.
Status chown_to_postgres(const std::filesystem::path& path, bool recursive);

}  // namespace convene::dbcluster
