#include "callbridge/pg_session.h"

#include <libpq-fe.h>

#include <thread>

#include "util/log.h"

namespace convene::callbridge {

namespace {
// libpq's messages end with a newline and put one line per host tried.
std::string one_line(const char* text) {
  std::string out;
  for (const char* p = text ? text : ""; *p; ++p) out += (*p == '\n') ? ' ' : *p;
  while (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}
}  // namespace

bool pg_failure_is_transient(const std::string& sqlstate, bool connection_lost) {
  if (connection_lost) return true;
  if (sqlstate.empty()) return true;  // no answer from a server at all
  return sqlstate.rfind("08", 0) == 0 || sqlstate == "57P01" || sqlstate == "57P02" || sqlstate == "57P03" ||
         sqlstate == "25006";
}

Result<int> conninfo_host_count(const std::string& conninfo) {
  char* err = nullptr;
  PQconninfoOption* options = PQconninfoParse(conninfo.c_str(), &err);
  if (!options) {
    std::string msg = err ? one_line(err) : "out of memory";
    PQfreemem(err);
    return make_error("invalid PostgreSQL connection string: " + msg);
  }
  int count = 0;
  for (PQconninfoOption* o = options; o->keyword; ++o) {
    if (std::string(o->keyword) != "host" || !o->val || !*o->val) continue;
    count = 1;
    for (const char* p = o->val; *p; ++p)
      if (*p == ',') ++count;
  }
  PQconninfoFree(options);
  return count;
}

PgSession::PgSession(std::function<Result<std::string>()> conninfo, std::function<Status(PgSession&)> prepare,
                     Options options)
    : conninfo_(std::move(conninfo)), prepare_(std::move(prepare)), options_(options) {}

PgSession::~PgSession() { drop(); }

void PgSession::drop() {
  if (conn_) PQfinish(conn_);
  conn_ = nullptr;
}

std::string PgSession::server() const {
  if (!conn_ || PQstatus(conn_) != CONNECTION_OK) return "";
  return std::string(PQhost(conn_)) + ":" + PQport(conn_);
}

Status PgSession::connect() {
  if (conn_ && PQstatus(conn_) == CONNECTION_OK) return ok_status();
  drop();
  auto info = conninfo_();
  if (!info) return info.error();
  auto hosts = conninfo_host_count(*info);
  if (!hosts) return hosts.error();
  hosts_ = *hosts;
  conn_ = PQconnectdb(info->c_str());
  if (PQstatus(conn_) != CONNECTION_OK) {
    auto e = make_error("no PostgreSQL master reachable: " + one_line(PQerrorMessage(conn_)));
    drop();
    return e;
  }
  logger("callbridge")->info("spaces database: connected to {}", server());
  if (prepare_) {
    transient_ = false;
    auto st = prepare_(*this);
    if (!st) {
      drop();
      return st.error();
    }
  }
  return ok_status();
}

Status PgSession::run(const std::function<Status()>& work) {
  auto log = logger("callbridge");
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
      log->warn("spaces database (try {} of {}): {}", attempt, options_.attempts, last.message);
      continue;
    }
    transient_ = false;
    auto st = work();
    if (st) return st;
    last = st.error();
    if (!transient_) return st;  // an SQL error: another connection would fail the same way
    log->warn("spaces database (try {} of {}): {}; connecting again", attempt, options_.attempts, last.message);
    drop();
  }
  return last;
}

Result<PgRows> PgSession::exec(const std::string& sql, const std::vector<std::string>& params) {
  if (!conn_) {
    transient_ = true;
    return make_error("not connected to the spaces database");
  }
  PGresult* res;
  if (params.empty()) {
    res = PQexec(conn_, sql.c_str());
  } else {
    std::vector<const char*> values;
    for (auto& p : params) values.push_back(p.c_str());
    res = PQexecParams(conn_, sql.c_str(), static_cast<int>(values.size()), nullptr, values.data(), nullptr, nullptr,
                       0);
  }
  auto status = PQresultStatus(res);
  if (status != PGRES_TUPLES_OK && status != PGRES_COMMAND_OK) {
    const char* state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : nullptr;
    std::string msg = one_line(res ? PQresultErrorMessage(res) : nullptr);
    if (msg.empty()) msg = one_line(PQerrorMessage(conn_));
    transient_ = pg_failure_is_transient(state ? state : "", PQstatus(conn_) != CONNECTION_OK);
    PQclear(res);
    return make_error(msg.empty() ? "the spaces database failed" : msg);
  }
  PgRows rows;
  for (int r = 0; r < PQntuples(res); ++r) {
    PgRow row;
    for (int c = 0; c < PQnfields(res); ++c)
      row.push_back(PQgetisnull(res, r, c) ? std::nullopt : std::optional<std::string>(PQgetvalue(res, r, c)));
    rows.push_back(std::move(row));
  }
  PQclear(res);
  return rows;
}

}  // namespace convene::callbridge
