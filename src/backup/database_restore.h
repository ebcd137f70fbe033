#pragma once
// Restores the `convene` database from a backup's pg_dump without running the
// backup's SQL as the superuser: the SQL runs as `convene_restore` (LOGIN, no
// superuser, no CREATEDB/CREATEROLE/REPLICATION; reachable only on the private
// Unix socket), the owner of a fresh database `convene_restoring`, so it can build
// tables, load rows and grant them to the call bridge, and nothing more
// (no COPY ... PROGRAM, no file access, no other database). Then, as postgres and
// with fixed SQL only: its objects are given to postgres and the new database
// takes the place of `convene` (connections to the old one ended; it is dropped).
//
// Two steps, so a rollback changes nothing until it is sure: load() fails without
// touching `convene`; swap() is the last step of a rollback; discard() undoes a
// load() when a later step fails.
//
// Thread-safety: none; run inside the agent's with_database().
#include <string>

#include "util/result.h"

namespace convene::dbcluster {
class PostgresInstance;
}

namespace convene::backup {

inline constexpr const char* kRestoreRole = "convene_restore";
inline constexpr const char* kRestoringDatabase = "convene_restoring";

Status load_database_dump(dbcluster::PostgresInstance& pg, const std::string& sql);
Status swap_in_restored_database(dbcluster::PostgresInstance& pg);
void discard_restored_database(dbcluster::PostgresInstance& pg);

}  // namespace convene::backup
