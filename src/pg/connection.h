#pragma once
// The tree's one libpq wrapper, lowest layer (util only), so both the database
// agent (dbcluster) and the call bridge, which must not link dbcluster, use it.
//
// Connection is one blocking libpq connection: open, exec (several statements,
// or one with text parameters), and after a failed exec whether another
// connection might succeed (failure_is_transient). query() is the one-shot form
// the agent uses: connect, run, disconnect, so each of its few small queries is
// independent of the others and of failed peers. Session (session.h) keeps one
// connection open and retries on a fresh one.
//
// Error texts are PostgreSQL's own, trailing newlines removed.
//
// An answer deadline (exec's `answer_within`) is the one client setting libpq
// lacks: a server whose process is stopped (SIGSTOP, a frozen VM) still has a
// kernel that acknowledges every packet and keepalive, so neither keepalives nor
// tcp_user_timeout ever end a statement waiting on it. Past the deadline the
// connection is dropped and the failure is transient (the outcome of a commit in
// flight is unknown: callers retry work that is safe to run twice).
//
// Thread-safety: a Connection is used by one thread at a time; query() and the
// free functions may be called from any thread (libpq is thread-safe per connection).
#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "util/result.h"

struct pg_conn;

namespace convene::pg {

using Row = std::vector<std::optional<std::string>>;
using Rows = std::vector<Row>;

// True for failures another connection may not have: the connection itself
// (SQLSTATE class 08, or no SQLSTATE because the socket broke), a server shutting
// down or starting (57P01-57P03), a server that no longer takes writes (25006).
bool failure_is_transient(const std::string& sqlstate, bool connection_lost);

// The code of a failed connection's libpq message: permission_denied when the
// server refused the credentials ("password/certificate authentication failed for
// user ..."), else unknown. Callers branch on the code, never on the text.
ErrorCode connect_failure_code(const std::string& message);

// The number of hosts in a libpq connection string ("host=a,b,c" gives 3), or an
// error naming what libpq could not parse.
Result<int> conninfo_host_count(const std::string& conninfo);

// Quotes a literal for SQL ('...' with ' doubled).
std::string sql_literal(const std::string& value);

// libpq's messages put one line per host tried: the same text on one line.
std::string one_line(const std::string& text);

class Connection {
 public:
  // Connects; the error is libpq's message (empty when libpq gave none), with
  // ErrorCode::permission_denied when the server refused the credentials
  // (password or certificate authentication failed).
  static Result<Connection> open(const std::string& conninfo);

  Connection() = default;
  ~Connection();
  Connection(Connection&& other) noexcept;
  Connection& operator=(Connection&& other) noexcept;
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  bool opened() const { return conn_ != nullptr; }  // has a libpq connection, perhaps a broken one
  bool is_open() const;                              // connected and the connection still good
  // Runs `sql`: several statements (the rows of the last) when there are no
  // parameters, else one statement with text parameters $1, $2, ...
  // `answer_within` > 0: no complete answer by then drops the connection (above).
  Result<Rows> exec(const std::string& sql, const std::vector<std::string>& params = {},
                    std::chrono::milliseconds answer_within = {});
  // After a failed exec: whether a fresh connection may succeed.
  bool failure_transient() const { return transient_; }
  std::string server() const;  // "host:port", empty when not connected

 private:
  explicit Connection(pg_conn* conn) : conn_(conn) {}
  // Waits until the answer is complete or `deadline` passes; false on either a
  // broken connection or the deadline (`error` says which).
  bool await_answer(std::chrono::steady_clock::time_point deadline, std::string& error);
  pg_conn* conn_ = nullptr;
  bool transient_ = false;
};

// One-shot: connect, run `sql` (one or more statements; the rows of the last),
// disconnect. Errors carry PostgreSQL's own message (and open()'s code).
Result<Rows> query(const std::string& conninfo, const std::string& sql);

}  // namespace convene::pg
