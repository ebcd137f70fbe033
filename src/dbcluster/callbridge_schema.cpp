#include "dbcluster/callbridge_schema.h"

#include <algorithm>

#include "dbcluster/postgres_instance.h"

namespace convene::dbcluster {

Status create_application_database(PostgresInstance& pg) {
  auto has_db = pg.query(std::string("SELECT 1 FROM pg_database WHERE datname = '") + kAppDatabase + "'");
  if (!has_db) return has_db.error();
  if (has_db->empty()) CONVENE_TRY(pg.query(std::string("CREATE DATABASE ") + kAppDatabase));
  return ok_status();
}

Status prepare_callbridge_schema(PostgresInstance& pg) {
  CONVENE_TRY(pg.query(std::string("DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '") +
                       kCallbridgeRole + "') THEN CREATE ROLE " + kCallbridgeRole + " LOGIN; END IF; END $$;"));
  std::string role = kCallbridgeRole;
  CONVENE_TRY(pg.query(
      "CREATE SCHEMA IF NOT EXISTS callbridge;"
      "CREATE TABLE IF NOT EXISTS callbridge.spaces (name text PRIMARY KEY, created_unix bigint NOT NULL);"
      "CREATE TABLE IF NOT EXISTS callbridge.imports (bridge text PRIMARY KEY, spaces integer NOT NULL, "
      "imported timestamptz NOT NULL DEFAULT now());"
      "CREATE TABLE IF NOT EXISTS callbridge.space_settings (name text PRIMARY KEY, settings text NOT NULL);"
      "CREATE TABLE IF NOT EXISTS callbridge.space_history (id bigserial PRIMARY KEY, name text NOT NULL, "
      "at_ms bigint NOT NULL, stanza text NOT NULL);"
      "GRANT USAGE, CREATE ON SCHEMA callbridge TO " + role + ";"
      "GRANT SELECT, INSERT, DELETE ON ALL TABLES IN SCHEMA callbridge TO " + role + ";"
      "GRANT UPDATE ON callbridge.space_settings TO " + role + ";"
      "GRANT USAGE ON SEQUENCE callbridge.space_history_id_seq TO " + role + ";",
      kAppDatabase));
  return ok_status();
}

std::vector<std::string> application_hosts(std::vector<std::string> members, const std::string& me,
                                           const std::string& master) {
  for (const auto& m : {me, master})
    if (!m.empty() && std::find(members.begin(), members.end(), m) == members.end()) members.push_back(m);
  std::sort(members.begin(), members.end());
  auto at = std::find(members.begin(), members.end(), master);
  if (at != members.end()) std::rotate(members.begin(), at, at + 1);
  return members;
}

}  // namespace convene::dbcluster
