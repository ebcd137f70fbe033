// convene-callbridge: one call bridge's link to the XMPP service (XEP-0114
// component) with DNS SRV fail-over, and its meeting spaces (XEP-0045 subset,
// persisted in SQLite, or in the PostgreSQL database cluster with
// --pg-conninfo-file). Its state is written as JSON to --status-file on every
// change, for operators and for `mmp callbridge status` via convened.
//
// The secret is read from --secret-file (never from the command line, where `ps`
// would show it), afresh before every connection attempt.
#include <signal.h>

#include <CLI/CLI.hpp>
#include <atomic>
#include <fstream>
#include <iostream>
#include <sstream>
#include <thread>

#include "callbridge/connector.h"
#include "callbridge/postgres_space_store.h"
#include "callbridge/spaces.h"
#include "callbridge/sqlite_space_store.h"
#include "callbridge/status.h"
#include "util/log.h"
#include "util/thread_name.h"

using namespace convene;
using namespace convene::callbridge;

namespace {
Result<std::string> read_secret_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) return make_error("cannot read the secret file " + path);
  std::stringstream ss;
  ss << in.rdbuf();
  std::string s = ss.str();
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ' || s.back() == '\t')) s.pop_back();
  if (s.empty()) return make_error("the secret file " + path + " is empty",
                                   "Put the call bridge's secret (see 'xmpp callbridge list') in it.");
  return s;
}

// The connection string holds file paths and no secret (TLS client certificates);
// a file rather than an argument keeps the command line stable while the daemon
// rewrites the member list in it.
Result<std::string> read_conninfo_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) return make_error("cannot read the PostgreSQL connection file " + path);
  std::stringstream ss;
  ss << in.rdbuf();
  std::string s = ss.str();
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ')) s.pop_back();
  if (s.empty()) return make_error("the PostgreSQL connection file " + path + " is empty");
  return s;
}

// `import`: whether this store makes the one-time copy of the SQLite spaces (the
// connection's store does; the store worker's does not).
Result<std::unique_ptr<SpaceStore>> open_store(const std::string& db_file, const std::string& conninfo_file,
                                               const std::string& bridge, bool import = true) {
  if (conninfo_file.empty()) return open_sqlite_space_store(db_file);
  PostgresStoreOptions options;
  options.conninfo = [conninfo_file] { return read_conninfo_file(conninfo_file); };
  options.bridge = bridge;
  if (!import) return open_postgres_space_store(std::move(options));
  // The SQLite spaces are read (never changed) for the one-time copy into PostgreSQL.
  // An unreadable file must not keep the call bridge down: it starts without the
  // copy (nothing is recorded as copied, so a later start with a good file does it).
  auto old = read_sqlite_spaces(db_file);
  if (!old) logger("callbridge")->error("the SQLite spaces are not copied into PostgreSQL: {}", old.error().text());
  if (old) options.import = std::move(*old);
  return open_postgres_space_store(std::move(options));
}
}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Convene call bridge: XMPP component with DNS SRV fail-over and meeting spaces"};
  ConnectorConfig config;
  std::string server, secret_file, db_file, pg_conninfo_file, status_file, log_file;
  app.add_option("--name", config.name, "unique call bridge name, without the domain (e.g. cb1)")->required();
  app.add_option("--domain", config.domain, "the XMPP domain (e.g. tptac9.com)")->required();
  app.add_option("--server", server, "host:port of the one XMPP server to use; omit to find servers by DNS SRV");
  app.add_option("--dns", config.dns_server, "DNS server host:port to ask instead of the system's resolver");
  app.add_option("--secret-file", secret_file, "file holding the shared secret")->required();
  app.add_option("--tls-trust", config.tls_trust,
                 "PEM bundle (CA or the servers' certificates): connect with TLS and verify the server against it");
  app.add_option("--db", db_file, "SQLite file of the meeting spaces")->required();
  app.add_option("--pg-conninfo-file", pg_conninfo_file,
                 "keep the spaces in PostgreSQL instead: file holding the libpq connection string (every cluster "
                 "member, target_session_attrs=read-write); --db is then only read, to copy its spaces once");
  app.add_option("--status-file", status_file, "JSON status, rewritten atomically on every change")->required();
  app.add_option("--log", log_file, "log file (besides stderr)");
  app.add_flag("--standby", config.standby,
               "a standby instance: take the name over only while no other instance holds it, and yield to any");
  CLI11_PARSE(app, argc, argv);
  if (!server.empty()) config.server = server;
  config.read_secret = [secret_file] { return read_secret_file(secret_file); };

  init_logging(log_file);
  auto log = logger("callbridge");

  // SIGTERM/SIGINT end the process cleanly; handled by sigwait on this thread.
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  signal(SIGPIPE, SIG_IGN);

  auto store = open_store(db_file, pg_conninfo_file, config.component());
  if (!store) {
    std::cerr << store.error().text() << "\n";
    return 1;
  }
  Spaces spaces(config.component(), **store);
  // In PostgreSQL, the history and the periodic reads go through a store of their own
  // on the `cb-store` thread (callbridge/store_worker.h): a database master that
  // froze or was cut off then holds that thread, not the occupants' messages.
  // SQLite is a local file: it answers, and a second writer would only contend.
  std::unique_ptr<StoreWorker> store_worker;
  if (!pg_conninfo_file.empty()) {
    auto own = open_store(db_file, pg_conninfo_file, config.component(), false);
    if (!own) {
      std::cerr << own.error().text() << "\n";
      return 1;
    }
    store_worker = std::make_unique<StoreWorker>(std::move(*own));
    spaces.use_worker(store_worker.get());
  }
  std::atomic<bool> stop{false};
  Connector connector(config, spaces, [&](const LinkStatus& s) {
    if (!write_status_file(status_file, s)) log->error("cannot write the status file {}", status_file);
  });
  auto where = (*store)->info();
  log->info("call bridge {} starting ({}; spaces in {} ({}))", config.component(),
            config.server ? "server " + *config.server : "DNS SRV " + config.srv_name(), where.kind, where.where);
  std::thread worker([&] {
    set_thread_name("cb-connector");
    connector.run(stop);
  });
  int sig = 0;
  sigwait(&set, &sig);
  log->info("call bridge {} stopping (signal {})", config.component(), sig);
  stop = true;
  worker.join();
  return 0;
}
