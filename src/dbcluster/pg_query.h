#pragma once
// Blocking one-shot SQL over libpq: connect, run, disconnect. The agent's queries
// are few and small (status, membership, promotion checks), so a connection per
// call keeps every call independent of the others and of failed peers.
// Thread-safe (libpq is thread-safe per connection).
#include <optional>
#include <string>
#include <vector>

#include "util/result.h"

namespace convene::dbcluster {

using Row = std::vector<std::optional<std::string>>;
using Rows = std::vector<Row>;

// Runs `sql` (one or more statements; the rows of the last). Errors carry
// PostgreSQL's own message.
Result<Rows> pg_query(const std::string& conninfo, const std::string& sql);

// Quotes a literal for SQL ('...' with ' doubled).
std::string sql_literal(const std::string& value);

}  // namespace convene::dbcluster
