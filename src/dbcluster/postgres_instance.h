#pragma once
// One PostgreSQL 15 instance owned by a node: data in DIR/state/db, socket and
// server log in DIR/state/dbrun, TLS files in DIR/state/dbcerts, all owned by the
// `postgres` account (PostgreSQL will not run as root; the daemon runs its tools
// through process.h as postgres). Listens on the node's database interface,
// port 5432, and on a Unix socket in its own directory (several
// instances on one machine would collide on /var/run/postgresql otherwise).
//
// The settings the agent controls live in DATA/convene.conf, included from
// postgresql.conf and rewritten whole on every change; postgresql.auto.conf is
// kept empty (pg_basebackup -R and pg_rewind write there and would override ours).
//
// Access: the node's directory and DIR/state get group `postgres` and mode 0710
// (traversal only) so the postgres account can reach its own subdirectories;
// every directory above DIR must be traversable by postgres too.
//
// The postmaster runs under a guard process on the agent's lease
// (postgres_lease.h, apps/pgguard.cpp), not daemonized by pg_ctl: it cannot
// outlive the agent, nor keep running while the agent is stalled. pg_ctl still
// stops, promotes and reloads it (through postmaster.pid).
//
// Thread-safety: none; the Agent serializes every call, except guard(), which
// the lease keeper uses from its own thread (postgres_guard.h is thread-safe).
#include <filesystem>
#include <string>

#include "pg/connection.h"
#include "dbcluster/postgres_guard.h"
#include "dbcluster/replication.h"
#include "util/result.h"

namespace convene::dbcluster {

struct PgSettings {
  std::string listen_address;       // empty: Unix socket only
  bool ssl = false;                 // needs the files in certs_dir()
  std::string synchronous_standby_names;
  std::string primary_conninfo;     // set: a standby following that primary
};

class PostgresInstance {
 public:
  explicit PostgresInstance(std::filesystem::path node_dir);

  std::filesystem::path data_dir() const { return state_ / "db"; }
  std::filesystem::path run_dir() const { return state_ / "dbrun"; }    // socket + server log
  std::filesystem::path certs_dir() const { return state_ / "dbcerts"; }
  std::filesystem::path log_file() const { return run_dir() / "postgresql.log"; }
  // The TLS files PostgreSQL and libpq use (copies of the operator's files).
  TlsFiles installed_tls() const;

  // Creates the directories with the ownership and modes described above.
  Status prepare();
  bool initialized() const;
  // initdb (superuser postgres, trust on the private Unix socket only) and the
  // application database `convene`.
  Status initdb();
  // What configure() does with standby.signal. by_settings: there when the settings
  // follow a primary, else removed. keep: left as it is, for a standby given the
  // primary's settings just before its promotion: the promotion removes the file
  // itself, and when it is gone already the promoting server stops (FATAL "could
  // not remove file standby.signal"), to come back only after crash recovery.
  enum class StandbySignal { by_settings, keep };
  // Rewrites convene.conf, pg_hba.conf, pg_ident.conf and standby.signal.
  Status configure(const PgSettings& settings, StandbySignal signal = StandbySignal::by_settings);
  bool running() const;
  // Starts the postmaster under a new guard and waits until it takes
  // connections (as `pg_ctl start -w` would: postmaster.pid says ready or
  // standby). A running PostgreSQL that is not our guard's child (left by an
  // older version, or still ending an immediate shutdown) is waited for, then
  // stopped, first: only a guarded one may run.
  Status start();
  Status stop(bool immediate = false);
  Status restart();
  // Rewrites pg_hba.conf and pg_ident.conf (the installed client certificate's CN)
  // and has PostgreSQL re-read its configuration and TLS files.
  Status reload();
  // pg_ctl promote -w: ends recovery; returns once the instance takes writes.
  Status promote();
  // Starts a stopped standby's data as the primary: in recovery first, then
  // promoted, so it continues on a timeline of its own (a plain start would keep
  // the old timeline and hide a diverged former master from pg_rewind).
  Status start_promoted(const PgSettings& primary_settings);

  PostgresGuard& guard() { return guard_; }

  // The superuser connection over the Unix socket.
  std::string local_conninfo(const std::string& dbname = kClusterDatabase) const;
  Result<pg::Rows> query(const std::string& sql, const std::string& dbname = kClusterDatabase) const;
  // True when the instance is a standby (pg_is_in_recovery()).
  Result<bool> in_recovery() const;

  // Where this instance's WAL is: the primary's current position, or the most a
  // standby has received or replayed (bytes since 0/0).
  Result<std::uint64_t> wal_position() const;
  // Whether the data directory was last a primary ("in production" or "shut down"
  // in pg_controldata; a standby's say "in archive recovery"/"shut down in recovery").
  Result<bool> was_primary() const;
  // pg_rewind onto `primary`'s timeline (the instance is stopped first; a crashed
  // one is recovered by pg_rewind itself). Afterwards configure() it as a standby.
  Status rewind_from(const std::string& primary);

  // pg_basebackup from `primary` into a fresh data directory (the old one is
  // kept aside and put back if anything fails).
  Status clone_from(const std::string& primary, const std::string& my_address);

 private:
  // pg_hba.conf and pg_ident.conf: each role by the cluster's client certificate (its CN).
  Status write_access_files();
  // The postmaster's pid and its status word from postmaster.pid (0 and "" without one).
  std::pair<pid_t, std::string> postmaster_state() const;
  // The last lines of the server log, for an error an operator reads.
  std::string log_tail() const;
  // One "<name>: value" line of pg_controldata.
  Result<std::string> control_field(const std::string& name) const;

  std::filesystem::path dir_;
  std::filesystem::path state_;
  PostgresGuard guard_;
};

// Installs the operator's five files into `certs_dir` as PostgreSQL wants them
// (owned by postgres, mode 0600), each by write-to-temporary + rename so a reload
// never sees a half-replaced pair (a certificate with the other key fails the reload).
Status install_tls_files(const TlsFiles& from, const TlsFiles& to);

}  // namespace convene::dbcluster
