#pragma once
// A blocking libpq connection for the call bridge's spaces, opened on demand and
// opened again when lost.
//
// Why the call bridge has its own libpq code instead of dbcluster/pg_query.h: that
// one is a one-shot helper of the database agent (connect, run, disconnect), in a
// library the call bridge must not link (dbcluster pulls in the cluster and PKI
// layers); this one keeps a connection, passes parameters and tells a lost
// connection from an SQL error, which is what the retry below needs.
//
// The connection string lists every member of the database cluster with
// target_session_attrs=read-write, so libpq connects to whichever one is the
// master now. It is asked for afresh before every connection (the daemon rewrites
// the file when members change). A statement that fails because the connection
// broke or the server stopped taking writes (it became a standby) is run again on
// a fresh connection, a bounded number of times; any other error comes back at once.
//
// Thread-safety: one thread at a time (the connector's).
#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "util/result.h"

struct pg_conn;

namespace convene::callbridge {

using PgRow = std::vector<std::optional<std::string>>;
using PgRows = std::vector<PgRow>;

// True for failures another connection may not have: the connection itself
// (SQLSTATE class 08, or no SQLSTATE because the socket broke), a server shutting
// down or starting (57P01-57P03), a server that no longer takes writes (25006).
bool pg_failure_is_transient(const std::string& sqlstate, bool connection_lost);

// The number of hosts in a libpq connection string ("host=a,b,c" gives 3), or an
// error naming what libpq could not parse.
Result<int> conninfo_host_count(const std::string& conninfo);

class PgSession {
 public:
  struct Options {
    int attempts = 3;                         // tries of one piece of work, in all
    std::chrono::milliseconds pause{200};     // before the 2nd try; doubled for each further one
  };
  // `conninfo` gives the connection string before every connection; `prepare` runs
  // on every new connection before any work (creating tables, say).
  PgSession(std::function<Result<std::string>()> conninfo, std::function<Status(PgSession&)> prepare,
            Options options);
  ~PgSession();
  PgSession(const PgSession&) = delete;
  PgSession& operator=(const PgSession&) = delete;

  // Runs `work` (which calls exec) on a live connection, retried as said above.
  Status run(const std::function<Status()>& work);

  // One statement with text parameters on the current connection ($1, $2, ...);
  // several statements when there are no parameters. For use inside run() and
  // `prepare`.
  Result<PgRows> exec(const std::string& sql, const std::vector<std::string>& params = {});

  std::string server() const;  // "host:port" of the open connection, empty when none
  int hosts() const { return hosts_; }

 private:
  Status connect();
  void drop();

  std::function<Result<std::string>()> conninfo_;
  std::function<Status(PgSession&)> prepare_;
  Options options_;
  pg_conn* conn_ = nullptr;
  bool transient_ = false;  // the last exec failed in a way a new connection may fix
  int hosts_ = 0;
};

}  // namespace convene::callbridge
