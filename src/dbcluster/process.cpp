#include "dbcluster/process.h"

#include <fcntl.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "util/process.h"

namespace convene::dbcluster {

namespace fs = std::filesystem;

Result<PostgresAccount> postgres_account() {
  struct passwd pw {};
  struct passwd* found = nullptr;
  char buf[4096];
  if (getpwnam_r("postgres", &pw, buf, sizeof buf, &found) != 0 || !found)
    return make_error("the 'postgres' account does not exist", "Install PostgreSQL 15 (it creates the account).");
  return PostgresAccount{pw.pw_uid, pw.pw_gid};
}

Status chown_to_postgres(const fs::path& path, bool recursive) {
  auto account = postgres_account();
  if (!account) return account.error();
  auto one = [&](const fs::path& p) -> Status {
    if (lchown(p.c_str(), account->uid, account->gid) != 0)
      return make_error("cannot give '" + p.string() + "' to postgres: " + std::strerror(errno));
    return ok_status();
  };
  CONVENE_TRY(one(path));
  if (recursive && fs::is_directory(path)) {
    std::error_code ec;
    for (auto it = fs::recursive_directory_iterator(path, ec); !ec && it != fs::recursive_directory_iterator();
         it.increment(ec))
      CONVENE_TRY(one(it->path()));
  }
  return ok_status();
}

Result<ProcessResult> run_program(const std::vector<std::string>& argv, const RunOptions& options) {
  if (argv.empty()) return make_error("no program given");
  PostgresAccount account;
  if (options.as_postgres) {
    auto a = postgres_account();
    if (!a) return a.error();
    account = *a;
  }
  std::vector<std::string> env = {"PATH=/usr/lib/postgresql/15/bin:/usr/bin:/bin", "LANG=C.UTF-8",
                                  "LC_ALL=C.UTF-8",
                                  options.as_postgres ? "HOME=/var/lib/postgresql" : "HOME=/root"};
  env.insert(env.end(), options.env.begin(), options.env.end());

  int out[2], in[2];
  if (pipe2(out, O_CLOEXEC) != 0 || pipe2(in, O_CLOEXEC) != 0)
    return make_error(std::string("pipe: ") + std::strerror(errno));
  int out_file = -1;
  if (!options.stdout_file.empty()) {
    out_file = open(options.stdout_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (out_file < 0) return make_error("cannot write '" + options.stdout_file.string() + "': " + std::strerror(errno));
  }
  SpawnSpec spec;
  spec.argv = argv;
  spec.env = std::move(env);
  if (options.as_postgres) spec.run_as = RunAsAccount{account.uid, account.gid, "/tmp"};
  spec.stdin_fd = in[0];
  spec.stdout_fd = out_file >= 0 ? out_file : out[1];
  spec.stderr_fd = out[1];
  auto spawned = spawn_process(spec);
  if (!spawned) return spawned.error();
  pid_t pid = *spawned;
  close(out[1]);
  close(in[0]);
  if (out_file >= 0) close(out_file);
  if (!options.stdin_text.empty()) {
    // Small inputs only (SQL snippets): fits the pipe buffer.
    [[maybe_unused]] auto n = write(in[1], options.stdin_text.data(), options.stdin_text.size());
  }
  close(in[1]);

  ProcessResult result;
  auto deadline = std::chrono::steady_clock::now() + options.timeout;
  char buf[4096];
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      result.timed_out = true;
      kill(-pid, SIGKILL);
      kill(pid, SIGKILL);
      break;
    }
    struct pollfd p {out[0], POLLIN, 0};
    int r = poll(&p, 1, static_cast<int>(std::min<long>(left.count(), 1000)));
    if (r < 0 && errno == EINTR) continue;
    if (r > 0) {
      ssize_t n = read(out[0], buf, sizeof buf);
      if (n > 0) {
        if (result.output.size() < 1 << 20) result.output.append(buf, n);
        continue;
      }
      if (n == 0) break;  // every writer closed (a daemonized postmaster may keep none)
      if (errno != EINTR) break;
    }
  }
  close(out[0]);
  int status = 0;
  // The child may have left the pipe open to a grandchild: wait for the child only.
  for (;;) {
    pid_t w = waitpid(pid, &status, result.timed_out ? 0 : WNOHANG);
    if (w == pid) break;
    if (w < 0 && errno != EINTR) break;
    if (w == 0) {
      if (std::chrono::steady_clock::now() > deadline) {
        result.timed_out = true;
        kill(pid, SIGKILL);
        waitpid(pid, &status, 0);
        break;
      }
      usleep(5000);
    }
  }
  result.exit_code = (!result.timed_out && WIFEXITED(status)) ? WEXITSTATUS(status) : -1;
  return result;
}

Status run_checked(const std::string& what, const std::vector<std::string>& argv, const RunOptions& options) {
  auto r = run_program(argv, options);
  if (!r) return r.error();
  if (r->exit_code == 0) return ok_status();
  std::string out = r->output;
  while (!out.empty() && (out.back() == '\n' || out.back() == ' ')) out.pop_back();
  if (out.size() > 600) out = "..." + out.substr(out.size() - 600);
  if (r->timed_out) return make_error(what + " did not finish in time" + (out.empty() ? "" : ": " + out));
  return make_error(what + " failed (exit " + std::to_string(r->exit_code) + ")" + (out.empty() ? "" : ": " + out));
}

}  // namespace convene::dbcluster
