#pragma once
// Meeting spaces in the PostgreSQL database cluster: the call bridge's
// store when the node's database cluster is enabled. The tables live in schema
// `callbridge` of database `convene` (the agent creates the schema and role; see
// docs/architecture.md), shared by every call bridge of the cluster:
//   callbridge.spaces  (name PRIMARY KEY, created_unix)
//   callbridge.imports (bridge PRIMARY KEY, spaces, imported): one row per call
//                       bridge whose SQLite spaces were copied in
// The store creates the tables if they are missing, on every new connection.
//
// The SQLite spaces are copied once: on the first connection, if `imports` has no
// row for this call bridge, the spaces given in `import` are inserted (existing
// names kept) in the same transaction as that row. Later starts copy nothing, so a
// space removed in PostgreSQL does not come back from an old SQLite file.
//
// Opening never waits for the database: when no master answers, the store is
// returned anyway and every operation tries again (PgSession), so the call bridge
// keeps serving the occupants of spaces it knows while the cluster fails over.
#include <memory>
#include <string>
#include <vector>

#include "callbridge/pg_session.h"
#include "callbridge/space_store.h"

namespace convene::callbridge {

struct PostgresStoreOptions {
  std::function<Result<std::string>()> conninfo;  // read before every connection
  std::string bridge;                             // "cb1.tptac9.com": names the one-time import
  std::vector<SpaceRecord> import;                // the SQLite spaces to copy once
  PgSession::Options retry;
};

// Fails only when the connection string cannot be had or parsed; an unreachable
// database is tried again by each operation.
Result<std::unique_ptr<SpaceStore>> open_postgres_space_store(PostgresStoreOptions options);

}  // namespace convene::callbridge
