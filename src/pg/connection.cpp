#include "pg/connection.h"

#include <libpq-fe.h>
#include <poll.h>

#include <cerrno>
#include <cstring>
#include <utility>

namespace convene::pg {

namespace {
std::string trimmed(const char* text) {
  std::string s = text ? text : "";
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}
}  // namespace

std::string one_line(const std::string& text) {
  std::string out;
  for (char c : text) out += (c == '\n') ? ' ' : c;
  while (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

// libpq has no SQLSTATE for a connection the server refused, only the server's
// text: this is the one place that reads it.
ErrorCode connect_failure_code(const std::string& message) {
  if (message.find("authentication failed for user") != std::string::npos) return ErrorCode::permission_denied;
  return ErrorCode::unknown;
}

bool failure_is_transient(const std::string& sqlstate, bool connection_lost) {
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

std::string sql_literal(const std::string& value) {
  std::string out = "'";
  for (char c : value) {
    if (c == '\'') out += '\'';
    out += c;
  }
  return out + "'";
}

Result<Connection> Connection::open(const std::string& conninfo) {
  PGconn* conn = PQconnectdb(conninfo.c_str());
  if (PQstatus(conn) != CONNECTION_OK) {
    std::string msg = trimmed(PQerrorMessage(conn));
    PQfinish(conn);
    return make_error(connect_failure_code(msg), msg);
  }
  return Connection(conn);
}

Connection::~Connection() {
  if (conn_) PQfinish(conn_);
}

Connection::Connection(Connection&& other) noexcept
    : conn_(std::exchange(other.conn_, nullptr)), transient_(other.transient_) {}

Connection& Connection::operator=(Connection&& other) noexcept {
  if (this != &other) {
    if (conn_) PQfinish(conn_);
    conn_ = std::exchange(other.conn_, nullptr);
    transient_ = other.transient_;
  }
  return *this;
}

bool Connection::is_open() const { return conn_ && PQstatus(conn_) == CONNECTION_OK; }

std::string Connection::server() const {
  if (!is_open()) return "";
  return std::string(PQhost(conn_)) + ":" + PQport(conn_);
}

bool Connection::await_answer(std::chrono::steady_clock::time_point deadline, std::string& error) {
  const int fd = PQsocket(conn_);
  while (PQisBusy(conn_)) {
    auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now()).count();
    if (left <= 0) {
      error = "no answer from the database server " + server() + " in time (stopped or frozen?): connection dropped";
      return false;
    }
    pollfd readable{fd, POLLIN, 0};
    int n = ::poll(&readable, 1, static_cast<int>(left));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 || (n > 0 && !PQconsumeInput(conn_))) {
      error = n < 0 ? std::string("poll: ") + std::strerror(errno) : trimmed(PQerrorMessage(conn_));
      return false;
    }
  }
  return true;
}

Result<Rows> Connection::exec(const std::string& sql, const std::vector<std::string>& params,
                              std::chrono::milliseconds answer_within) {
  transient_ = false;
  if (!conn_) {
    transient_ = true;
    return make_error("not connected");
  }
  std::vector<const char*> values;
  for (auto& p : params) values.push_back(p.c_str());
  PGresult* res = nullptr;
  if (answer_within.count() <= 0) {
    res = params.empty() ? PQexec(conn_, sql.c_str())
                         : PQexecParams(conn_, sql.c_str(), static_cast<int>(values.size()), nullptr,
                                        values.data(), nullptr, nullptr, 0);
  } else {
    // PQexec's behaviour (the first error, else the last result) with a bounded
    // wait for every part of the answer.
    int sent = params.empty() ? PQsendQuery(conn_, sql.c_str())
                              : PQsendQueryParams(conn_, sql.c_str(), static_cast<int>(values.size()), nullptr,
                                                  values.data(), nullptr, nullptr, 0);
    const auto deadline = std::chrono::steady_clock::now() + answer_within;
    std::string why;
    while (sent) {
      if (!await_answer(deadline, why)) {
        PQclear(res);
        PQfinish(std::exchange(conn_, nullptr));
        transient_ = true;
        return make_error(why);
      }
      PGresult* next = PQgetResult(conn_);
      if (!next) break;
      bool failed = res && PQresultStatus(res) != PGRES_TUPLES_OK && PQresultStatus(res) != PGRES_COMMAND_OK;
      if (failed) {
        PQclear(next);
      } else {
        PQclear(res);
        res = next;
      }
    }
  }
  auto status = PQresultStatus(res);
  if (status != PGRES_TUPLES_OK && status != PGRES_COMMAND_OK) {
    const char* state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : nullptr;
    std::string msg = trimmed(res ? PQresultErrorMessage(res) : nullptr);
    if (msg.empty()) msg = trimmed(PQerrorMessage(conn_));
    transient_ = failure_is_transient(state ? state : "", PQstatus(conn_) != CONNECTION_OK);
    PQclear(res);
    return make_error(msg);
  }
  Rows rows;
  for (int r = 0; r < PQntuples(res); ++r) {
    Row row;
    for (int c = 0; c < PQnfields(res); ++c)
      row.push_back(PQgetisnull(res, r, c) ? std::nullopt : std::optional<std::string>(PQgetvalue(res, r, c)));
    rows.push_back(std::move(row));
  }
  PQclear(res);
  return rows;
}

Result<Rows> query(const std::string& conninfo, const std::string& sql) {
  auto conn = Connection::open(conninfo);
  if (!conn)
    return make_error(conn.error().code, conn.error().message.empty() ? "cannot connect" : conn.error().message);
  return conn->exec(sql);
}

}  // namespace convene::pg
