#include "backup/database_restore.h"

#include <chrono>
#include <filesystem>
#include <thread>

#include "dbcluster/postgres_instance.h"
#include "dbcluster/process.h"
#include "dbcluster/replication.h"
#include "util/files.h"
#include "util/safe_files.h"

namespace convene::backup {

namespace fs = std::filesystem;
using dbcluster::kAppDatabase;

Status load_database_dump(dbcluster::PostgresInstance& pg, const std::string& sql) {
  std::string role = kRestoreRole, db = kRestoringDatabase;
  CONVENE_TRY(pg.query("DROP DATABASE IF EXISTS " + db + " WITH (FORCE)"));
  CONVENE_TRY(pg.query("DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '" + role +
                       "') THEN CREATE ROLE " + role + " LOGIN; END IF; END $$;"
                       "ALTER ROLE " + role +
                       " WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS"));
  CONVENE_TRY(pg.query("CREATE DATABASE " + db + " OWNER " + role));
  auto account = dbcluster::postgres_account();
  if (!account) return account.error();
  auto file = pg.run_dir() / "rollback.sql";
  CONVENE_TRY(write_file_atomic(file, sql, 0600, FileOwner{account->uid, account->gid}));
  dbcluster::RunOptions o;
  o.timeout = std::chrono::minutes(10);
  auto st = dbcluster::run_checked(
      "restoring the database",
      {"/usr/lib/postgresql/15/bin/psql", "-h", pg.run_dir().string(), "-p", std::to_string(dbcluster::kPort), "-U",
       role, "-X", "-q", "-v", "ON_ERROR_STOP=1", "--single-transaction", "-d", db, "-f", file.string()},
      o);
  std::error_code ec;
  fs::remove(file, ec);
  if (!st) {
    discard_restored_database(pg);
    return make_error(st.error().message, "Nothing was changed.");
  }
  // Fixed SQL from here on: the restored objects become postgres's, as made by initialize.
  if (auto r = pg.query("REASSIGN OWNED BY " + role + " TO postgres", db); !r) {
    discard_restored_database(pg);
    return r.error();
  }
  return ok_status();
}

Status swap_in_restored_database(dbcluster::PostgresInstance& pg) {
  std::string live = kAppDatabase, old = std::string(kAppDatabase) + "_replaced";
  CONVENE_TRY(pg.query("DROP DATABASE IF EXISTS " + old + " WITH (FORCE)"));
  CONVENE_TRY(pg.query("ALTER DATABASE " + live + " WITH ALLOW_CONNECTIONS false"));
  // The rename waits for the old database's sessions (the call bridge's) to end;
  // they reconnect to the restored one.
  Status renamed = ok_status();
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  do {
    (void)pg.query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '" + live +
                   "' AND pid <> pg_backend_pid()");
    auto r = pg.query("ALTER DATABASE " + live + " RENAME TO " + old);
    renamed = r ? ok_status() : Status(r.error());
    if (renamed) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  } while (std::chrono::steady_clock::now() < deadline);
  if (!renamed) {
    (void)pg.query("ALTER DATABASE " + live + " WITH ALLOW_CONNECTIONS true");
    discard_restored_database(pg);
    return make_error("cannot replace the database: " + renamed.error().message,
                      "The database was not changed; the files were. Run the rollback again.");
  }
  if (auto r = pg.query(std::string("ALTER DATABASE ") + kRestoringDatabase + " RENAME TO " + live); !r) {
    // Put the old one back rather than leave the node without its database.
    (void)pg.query("ALTER DATABASE " + old + " RENAME TO " + live);
    (void)pg.query("ALTER DATABASE " + live + " WITH ALLOW_CONNECTIONS true");
    discard_restored_database(pg);
    return make_error("cannot replace the database: " + r.error().message,
                      "The database was not changed; the files were. Run the rollback again.");
  }
  (void)pg.query("DROP DATABASE IF EXISTS " + old + " WITH (FORCE)");
  return ok_status();
}

void discard_restored_database(dbcluster::PostgresInstance& pg) {
  (void)pg.query(std::string("DROP DATABASE IF EXISTS ") + kRestoringDatabase + " WITH (FORCE)");
}

}  // namespace convene::backup
