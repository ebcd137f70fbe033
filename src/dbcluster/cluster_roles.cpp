#include "dbcluster/cluster_roles.h"

#include "dbcluster/agent_core.h"
#include "dbcluster/postgres_instance.h"

namespace convene::dbcluster {

namespace {
// pg_rewind's needs as a non-superuser (its documentation's list).
const char* const kRewindFunctions[] = {
    "pg_catalog.pg_ls_dir(text, boolean, boolean)",
    "pg_catalog.pg_stat_file(text, boolean)",
    "pg_catalog.pg_read_binary_file(text)",
    "pg_catalog.pg_read_binary_file(text, bigint, bigint, boolean)",
};
}  // namespace

Status ensure_cluster_roles(PostgresInstance& pg) {
  std::string members = kMembersTable;
  // Locally committed: the reconciler runs this and must not wait for standbys.
  std::string sql =
      "SET synchronous_commit = local;"
      "DO $$ BEGIN "
      "IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'replicator') THEN "
      "CREATE ROLE replicator WITH REPLICATION LOGIN; END IF; "
      "IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'convene_agent') THEN "
      "CREATE ROLE convene_agent WITH LOGIN; END IF; END $$;"
      "ALTER ROLE replicator WITH NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS REPLICATION LOGIN;"
      "ALTER ROLE convene_agent WITH NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS NOREPLICATION LOGIN;"
      "SET client_min_messages = error;"  // REVOKE of a grant never made only warns
      "REVOKE pg_monitor FROM replicator;"
      "CREATE TABLE IF NOT EXISTS " + members + " (address text PRIMARY KEY, joined timestamptz NOT NULL DEFAULT now());"
      "REVOKE ALL ON " + members + " FROM replicator;"
      "GRANT SELECT, INSERT, DELETE ON " + members + " TO convene_agent;"
      "GRANT pg_monitor, pg_signal_backend TO convene_agent;";
  for (const char* f : kRewindFunctions) {
    sql += std::string("REVOKE EXECUTE ON FUNCTION ") + f + " FROM replicator;";
    sql += std::string("GRANT EXECUTE ON FUNCTION ") + f + " TO convene_agent;";
  }
  CONVENE_TRY(pg.query(sql));
  return ok_status();
}

Status prepare_cluster_roles(PostgresInstance& pg, const std::string& me) {
  CONVENE_TRY(check_member_address(me));
  CONVENE_TRY(ensure_cluster_roles(pg));
  std::string members = kMembersTable;
  CONVENE_TRY(pg.query("TRUNCATE " + members + "; INSERT INTO " + members + " (address) VALUES (" +
                       pg::sql_literal(me) + ");"));
  return ok_status();
}

}  // namespace convene::dbcluster
