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
    // The bridge's statements are single rows that take milliseconds. An answer
    // not there within 1.5 s means a master that is stopped or frozen (its kernel
    // still acknowledges, so no TCP setting notices): the connection is dropped and
    // the work tried again, by then on the master promoted 2 s after the old one
    // went silent, instead of waiting as long as the freeze lasts. A write whose
    // commit's outcome was unknown runs again: the upserts and deletes come out
    // the same; a history line may be kept twice, as after any broken connection.
    std::chrono::milliseconds answer_within{1500};
  };
  PgSession(std::function<Result<std::string>()> conninfo, std::function<Status(PgSession&)> prepare, Options options)
      : pg::Session(
            std::move(conninfo),
            prepare ? [this, prepare = std::move(prepare)](pg::Session&) { return prepare(*this); }
                    : std::function<Status(pg::Session&)>(),
            {options.attempts, options.pause, "spaces database", "callbridge", options.answer_within}) {}
};

}  // namespace convene::callbridge
