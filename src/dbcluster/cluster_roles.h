#pragma once
// The roles the cluster's members log in as over the network, each with the
// least it needs (replication.h says who may use them: the cluster's client
// certificate, by CN):
//   replicator     REPLICATION: streams WAL and copies the data (pg_basebackup).
//                  Nothing else: no table, no function, no monitoring.
//   convene_agent  the agents' queries on database `postgres`: the members table
//                  (a joiner registers, a leaver deregisters), the status views
//                  (pg_monitor), ending walsenders on a certificate rotation
//                  (pg_signal_backend), and pg_rewind's four file functions, which
//                  PostgreSQL limits to the data directory for a role without
//                  pg_read_server_files (the TLS key lives outside it, in dbcerts).
// Older versions gave replicator the members table, pg_monitor and the file
// functions; they are taken back here.
//
// Thread-safety: none; called under the agent's command mutex.
#include <string>

#include "util/result.h"

namespace convene::dbcluster {

class PostgresInstance;

// Creates or corrects both roles and the members table (idempotent; the master
// runs it once per start, so a cluster made by an older version is corrected).
Status ensure_cluster_roles(PostgresInstance& pg);
// ensure_cluster_roles on a new master, and makes `me` its only member.
Status prepare_cluster_roles(PostgresInstance& pg, const std::string& me);

}  // namespace convene::dbcluster
