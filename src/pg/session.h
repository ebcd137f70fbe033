#pragma once
// A blocking libpq connection opened on demand and opened again when lost, for a
// client that must ride out a failover of the database cluster (the call
// bridge's spaces; callbridge/pg_session.h names it for them).
//
// The connection string may list every member of the database cluster with
// target_session_attrs=read-write, so libpq connects to whichever one is the
// master now. It is asked for afresh before every connection (the daemon rewrites
// it when members change). A piece of work that fails because the connection
// broke or the server stopped taking writes (failure_is_transient, connection.h)
// is run again on a fresh connection, a bounded number of times; any other error
// comes back at once.
//
// Thread-safety: one thread at a time.
#include <chrono>
#include <functional>
#include <string>
#include <vector>

#include "pg/connection.h"
#include "util/result.h"

namespace convene::pg {

class Session {
 public:
  struct Options {
    int attempts = 3;                      // tries of one piece of work, in all
    std::chrono::milliseconds pause{200};  // before the 2nd try; doubled for each further one
    std::string name = "database";         // what the log lines and errors call the database
    std::string log = "pg";                // the logger they go to
    // Every statement's answer must be complete within this (connection.h says
    // why); 0: wait as long as the connection lives.
    std::chrono::milliseconds answer_within{0};
  };
  // `conninfo` gives the connection string before every connection; `prepare` runs
  // on every new connection before any work (creating tables, say).
  Session(std::function<Result<std::string>()> conninfo, std::function<Status(Session&)> prepare, Options options);
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  // Runs `work` (which calls exec) on a live connection, retried as said above.
  Status run(const std::function<Status()>& work);

  // One statement with text parameters on the current connection ($1, $2, ...);
  // several statements when there are no parameters. For use inside run() and
  // `prepare`.
  Result<Rows> exec(const std::string& sql, const std::vector<std::string>& params = {});

  std::string server() const { return conn_.server(); }  // "host:port" of the open connection, empty when none
  int hosts() const { return hosts_; }

 private:
  Status connect();

  std::function<Result<std::string>()> conninfo_;
  std::function<Status(Session&)> prepare_;
  Options options_;
  Connection conn_;
  bool transient_ = false;  // the last exec failed in a way a new connection may fix
  int hosts_ = 0;
};

}  // namespace convene::pg
