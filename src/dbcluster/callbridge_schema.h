#pragma once
// The call bridge's part of the cluster's PostgreSQL: the application database
// `convene`, the role `callbridge` and its schema `callbridge` with the spaces
// tables (made by initialize on the master, replicated to the slaves), and the
// connection string the call bridge is given (replication.h:
// application_conninfo).
//
// The tables are the same as callbridge/postgres_space_store.cpp makes when they
// are missing; made here, owned by postgres with explicit grants, so a backup
// rollback (pg_dump --no-owner, restored as convene_restore and then given to
// postgres: backup/database_restore.h) brings the call bridge's rights back with them.
//
// Thread-safety: none of its own; called under the agent's command mutex
// (agent_core.h), or, for application_hosts, pure.
#include <string>
#include <vector>

#include "util/result.h"

namespace convene::dbcluster {

class PostgresInstance;

// CREATE DATABASE convene unless it exists.
Status create_application_database(PostgresInstance& pg);

// The role `callbridge`, schema `callbridge`, its tables and grants.
Status prepare_callbridge_schema(PostgresInstance& pg);

// The hosts of the call bridge's connection string: every member (and this node
// and the master, when the members table does not list them yet), the master
// first, the rest in order: libpq tries them in order.
std::vector<std::string> application_hosts(std::vector<std::string> members, const std::string& me,
                                           const std::string& master);

}  // namespace convene::dbcluster
