#include "pg/session.h"

#include <thread>

#include "util/log.h"

namespace convene::pg {

Session::Session(std::function<Result<std::string>()> conninfo, std::function<Status(Session&)> prepare,
                 Options options)
    : conninfo_(std::move(conninfo)), prepare_(std::move(prepare)), options_(std::move(options)) {}

Status Session::connect() {
  if (conn_.is_open()) return ok_status();
  conn_ = Connection();
  auto info = conninfo_();
  if (!info) return info.error();
  auto hosts = conninfo_host_count(*info);
  if (!hosts) return hosts.error();
  hosts_ = *hosts;
  auto conn = Connection::open(*info);
  if (!conn) return make_error("no PostgreSQL master reachable: " + one_line(conn.error().message));
  conn_ = std::move(*conn);
  logger(options_.log)->info("{}: connected to {}", options_.name, server());
  if (prepare_) {
    transient_ = false;
    auto st = prepare_(*this);
    if (!st) {
      conn_ = Connection();
      return st.error();
    }
  }
  return ok_status();
}

Status Session::run(const std::function<Status()>& work) {
  auto log = logger(options_.log);
  Error last = make_error("no attempt made");
  auto pause = options_.pause;
  for (int attempt = 1; attempt <= options_.attempts; ++attempt) {
    if (attempt > 1) {
      // Between tries: time for a promotion to finish or a connection to come back.
      std::this_thread::sleep_for(pause);
      pause *= 2;
    }
    auto connected = connect();
    if (!connected) {
      last = connected.error();
      log->warn("{} (try {} of {}): {}", options_.name, attempt, options_.attempts, last.message);
      continue;
    }
    transient_ = false;
    auto st = work();
    if (st) return st;
    last = st.error();
    if (!transient_) return st;  // an SQL error: another connection would fail the same way
    log->warn("{} (try {} of {}): {}; connecting again", options_.name, attempt, options_.attempts, last.message);
    conn_ = Connection();
  }
  return last;
}

Result<Rows> Session::exec(const std::string& sql, const std::vector<std::string>& params) {
  if (!conn_.opened()) {
    transient_ = true;
    return make_error("not connected to the " + options_.name);
  }
  auto rows = conn_.exec(sql, params, options_.answer_within);
  if (rows) return rows;
  transient_ = conn_.failure_transient();
  auto msg = one_line(rows.error().message);
  return make_error(msg.empty() ? "the " + options_.name + " failed" : msg);
}

}  // namespace convene::pg
