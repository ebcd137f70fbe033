#pragma once
// The call bridge's connection to its spaces database: the tree's one libpq
// session (pg/session.h, which keeps the connection and retries on a fresh one)
// under the name the spaces store uses, with the store's labels in its log lines
// and errors ("spaces database", logger "callbridge").
//
// Thread-safety: one thread at a time (the connector's).
#include <chrono>
#include <functional>
#include <string>

#include "pg/session.h"

namespace convene::callbridge {

using PgRow = pg::Row;
using PgRows = pg::Rows;
using pg::conninfo_host_count;

class PgSession final : public pg::Session {
 public:
  struct Options {
    int attempts = 3;                      // tries of one piece of work, in all
    std::chrono::milliseconds pause{200};  // before the 2nd try; doubled for each further one
  };
  PgSession(std::function<Result<std::string>()> conninfo, std::function<Status(PgSession&)> prepare, Options options)
      : pg::Session(
            std::move(conninfo),
            prepare ? [this, prepare = std::move(prepare)](pg::Session&) { return prepare(*this); }
                    : std::function<Status(pg::Session&)>(),
            {options.attempts, options.pause, "spaces database", "callbridge"}) {}
};

}  // namespace convene::callbridge
