#include "dbcluster/agent.h"

#include <algorithm>
#include <atomic>
#include <tuple>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <thread>

#include <nlohmann/json.hpp>

#include "dbcluster/agent_group.h"
#include "dbcluster/master_choice.h"
#include "dbcluster/postgres_instance.h"
#include "dbcluster/process.h"
#include "dbcluster/replication.h"
#include "dbcluster/status_view.h"
#include "node/node.h"
#include "node/node_id.h"
#include "pki/certificate_info.h"
#include "pki/key.h"
#include "pki/pem.h"
#include "pki/verify.h"
#include "tls/tls_context_source.h"
#include "util/files.h"
#include "util/log.h"

namespace convene::dbcluster {

namespace fs = std::filesystem;
using json = nlohmann::json;
using Clock = std::chrono::steady_clock;

const char* const kInitializeWarning =
    "WARNING!!!\n"
    "Are you sure you wish to initialize this node as a new database cluster? (Y/n)\n"
    "The contents of this node's database will become the master version of the database in the new cluster.\n"
    "The callbridge and web administration will restart at the end of this procedure.";
const char* const kJoinWarning =
    "WARNING!!!\n"
    "Are you sure you wish to join this node to an existing database cluster? (Y/n)\n"
    "The contents of this node's database will be destroyed!\n"
    "The callbridge and web administration will restart at the end of this procedure.";
const char* const kJoinAlreadyNote =
    "NOTE: This node is already in a cluster.\n"
    "Knowledge of all nodes in the old cluster will be removed";
const char* const kRemoveWarning =
    "WARNING!!!\n"
    "Are you sure you wish to remove this node from the current cluster? (Y/n)\n"
    "The current contents of this node's database will become the running local database.\n"
    "This node will lose all knowledge of the rest of the cluster.\n"
    "The callbridge and web administration will restart at the end of this procedure.";

std::string now_iso() {
  auto t = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  char buf[32];
  std::tm tm{};
  gmtime_r(&t, &tm);
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

namespace {

const char* kSection = kConfigSection;
const char* kMembersTable = "convene_cluster_members";

class AgentImpl final : public Agent {
 public:
  explicit AgentImpl(Node& node) : node_(node), pg_(node.paths().dir()), log_(logger("database")) {}
  ~AgentImpl() override { stop(); }

  Status open() {
    auto cfg = config();
    if (pg_.initialized()) {
      CONVENE_TRY(pg_.prepare());
      if (cfg.value("enabled", false) && !fs::exists(group_dir())) {
        // A cluster made before the agents had a group: run as configured, without
        // failover, and say how to get it.
        log_->warn("database: this node's cluster has no agents' group (made by an older version): no automatic "
                   "failover until it is removed and joined again");
        auto me = my_address();
        std::string master = cfg.value("master", "");
        if (me && master == *me) CONVENE_TRY(pg_.configure(primary_settings(*me, "")));
        else if (me && !master.empty()) CONVENE_TRY(pg_.configure(standby_settings(*me, master)));
        if (auto st = pg_.start(); !st) log_->error("database: {}", st.error().text());
      } else if (cfg.value("enabled", false)) {
        if (auto st = open_group(false); !st) log_->error("database: {}", st.error().text());
        // Only a standby starts at once (it cannot take writes). A node that was
        // master waits until the agents' group confirms it still is: another node
        // may have been promoted while this one was down (the worker decides).
        auto me = my_address();
        std::string master = cfg.value("master", "");
        auto primary_data = pg_.was_primary();
        if (me && !master.empty() && master != *me && primary_data && !*primary_data) {
          CONVENE_TRY(pg_.configure(standby_settings(*me, master)));
          if (auto st = pg_.start(); !st) log_->error("database: {}", st.error().text());
          following_ = master;
        }
      } else if (auto st = pg_.start(); !st) {
        log_->error("database: {}", st.error().text());
      }
    }
    log_expiry();
    worker_ = std::thread([this] { work(); });
    return ok_status();
  }

  // --- commands ---------------------------------------------------------

  Status set_localnode(const std::string& iface, const std::string& line) override {
    std::lock_guard lock(mutex_);
    auto address = node_.interfaces().address(iface);
    if (!address) return address.error();
    if (config().value("enabled", false))
      return make_error("cannot change the interface while clustering is enabled",
                        "Run 'database cluster remove' first, then set the interface and initialize or join again.");
    return update([&](json& s) {
      s["interface"] = iface;
      record(s, line, true, "");
    });
  }

  Status set_certs(const CertNames& n, const std::string& line,
                   const std::function<void(const std::string&)>& say) override {
    std::lock_guard lock(mutex_);
    auto files = resolve(n);
    if (!files) return files.error();
    CONVENE_TRY(validate(*files, n));
    auto cfg = config();
    bool live = cfg.value("enabled", false) && pg_.running();
    CONVENE_TRY(pg_.prepare());
    CONVENE_TRY(install_tls_files(*files, pg_.installed_tls()));
    if (live) {
      // PostgreSQL re-reads its TLS files on reload; sessions already open keep the
      // old ones, so the replication links are cut and re-made with the new files.
      CONVENE_TRY(pg_.reload());
      if (group_tls_)
        if (auto st = group_tls_->reload(); !st) log_->error("agents' group certificates: {}", st.error().text());
      auto me = my_address();
      std::string master = cfg.value("master", "");
      if (me && master == *me) {
        reconnect_standbys_one_by_one();
      } else if (me && !master.empty()) {
        (void)remote(master, "SELECT pg_terminate_backend(pid) FROM pg_stat_replication WHERE application_name = " +
                                 pg::sql_literal(*me));
      }
      log_->info("database cluster certificates rotated on the running cluster");
      say("Certificates updated");
      say("The running cluster now uses them (PostgreSQL reloaded, replication reconnected)");
    } else {
      say("Certificates updated");
    }
    return update([&](json& s) {
      s["certs"] = {{"server_key", n.server_key}, {"server_cert", n.server_cert}, {"client_key", n.client_key},
                    {"client_cert", n.client_cert}, {"ca_cert", n.ca_cert}};
      record(s, line, true, "");
    });
  }

  bool in_cluster() const override { return config().value("enabled", false); }

  Status check_initialize() override {
    std::lock_guard lock(mutex_);
    return check_ready();
  }

  Status check_join(const std::string& master) override {
    std::lock_guard lock(mutex_);
    CONVENE_TRY(check_ready());
    auto me = my_address();
    if (master == *me) return make_error("cannot join this node to itself", "Give the address of the cluster's master.");
    // The master must answer over TLS with our certificates before anything is destroyed.
    auto rows = remote(master, "SELECT pg_is_in_recovery()");
    if (!rows)
      return make_error("cannot reach a database master at " + master + ": " + rows.error().message,
                        "Nothing was changed. Check the address, that the master is initialized, and that both nodes "
                        "use certificates of the same CA.");
    if (rows->empty() || (*rows)[0][0].value_or("") != "f")
      return make_error(master + " is not the master of its cluster (it is a slave)",
                        "Nothing was changed. Join the cluster's master ('database cluster status' there shows it).");
    return ok_status();
  }

  Status initialize(const std::string& line) override {
    std::lock_guard lock(mutex_);
    auto st = do_initialize();
    record_result(line, st);
    return st;
  }

  Status join(const std::string& master, const std::string& line) override {
    std::lock_guard lock(mutex_);
    auto st = do_join(master);
    record_result(line, st);
    return st;
  }

  Status start_remove(const std::string& line) override {
    std::lock_guard lock(mutex_);
    if (disabling_) return make_error("a remove is already in progress");
    if (!config().value("enabled", false))
      return make_error("this node is not in a database cluster", "Nothing to remove.");
    disabling_ = true;
    disabling_since_ = Clock::now();
    if (remover_.joinable()) remover_.join();
    remover_ = std::thread([this, line] {
      std::lock_guard lock(mutex_);
      auto st = do_remove();
      record_result(line, st);
      disabling_ = false;
    });
    return ok_status();
  }

  std::string status_text() override {
    StatusView v;
    json cfg;
    {
      std::lock_guard lock(state_mutex_);
      cfg = config();
      if (disabling_) {
        v.state = StatusView::State::kDisabling;
        v.disabling_seconds =
            std::chrono::duration_cast<std::chrono::seconds>(Clock::now() - disabling_since_).count();
      }
    }
    bool enabled = cfg.value("enabled", false);
    if (v.state != StatusView::State::kDisabling && enabled) v.state = StatusView::State::kEnabled;
    v.interface = cfg.value("interface", "");
    auto me = my_address();
    if (v.state == StatusView::State::kEnabled && me) {
      std::string master = cfg.value("master", "");
      v.node_in_use = master;
      v.nodes = node_lines(*me, master);
      std::lock_guard lock(state_mutex_);
      v.failover = failover_line_;
    }
    v.certs = cert_lines(cfg);
    v.last_command = cfg.value("last_command", "");
    v.last_ok = cfg.value("last_ok", true);
    v.last_error = cfg.value("last_error", "");
    auto text = render_status(v, pki::current_time());
    while (!text.empty() && text.back() == '\n') text.pop_back();
    return text;
  }

  // --- the application database (the call bridge's spaces) ------------------

  Result<std::string> application_conninfo() override {
    json cfg;
    {
      std::lock_guard lock(state_mutex_);
      cfg = config();
    }
    if (!cfg.value("enabled", false)) return make_error("this node is not in a database cluster");
    auto me = my_address();
    if (!me) return me.error();
    return dbcluster::application_conninfo(application_hosts(*me, cfg.value("master", "")), pg_.installed_tls());
  }

  // The members from the replicated members table, or the last list read when the
  // local PostgreSQL does not answer.
  std::vector<std::string> known_members() {
    std::vector<std::string> members;
    auto rows = pg_.query(std::string("SELECT address FROM ") + kMembersTable + " ORDER BY address");
    std::lock_guard lock(state_mutex_);
    if (!rows) return last_members_;
    for (auto& r : *rows) members.push_back(r[0].value_or(""));
    last_members_ = members;
    return members;
  }

  // Every member, the master first: libpq tries them in order.
  std::vector<std::string> application_hosts(const std::string& me, const std::string& master) {
    auto members = known_members();
    for (const auto& m : {me, master})
      if (!m.empty() && std::find(members.begin(), members.end(), m) == members.end()) members.push_back(m);
    std::sort(members.begin(), members.end());
    auto at = std::find(members.begin(), members.end(), master);
    if (at != members.end()) std::rotate(members.begin(), at, at + 1);
    return members;
  }

  // The call bridge's role, schema and tables in the application database (run by
  // initialize on the master; replicated to the slaves). The tables are the same as
  // callbridge/postgres_space_store.cpp makes when they are missing; made here, owned
  // by postgres with explicit grants, so a backup rollback (pg_dump --no-owner,
  // restored as postgres) brings the call bridge's rights back with them.
  Status prepare_application_roles() {
    CONVENE_TRY(pg_.query(std::string("DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '") +
                          kCallbridgeRole + "') THEN CREATE ROLE " + kCallbridgeRole + " LOGIN; END IF; END $$;"));
    std::string role = kCallbridgeRole;
    CONVENE_TRY(pg_.query(
        "CREATE SCHEMA IF NOT EXISTS callbridge;"
        "CREATE TABLE IF NOT EXISTS callbridge.spaces (name text PRIMARY KEY, created_unix bigint NOT NULL);"
        "CREATE TABLE IF NOT EXISTS callbridge.imports (bridge text PRIMARY KEY, spaces integer NOT NULL, "
        "imported timestamptz NOT NULL DEFAULT now());"
        "GRANT USAGE, CREATE ON SCHEMA callbridge TO " + role + ";"
        "GRANT SELECT, INSERT, DELETE ON ALL TABLES IN SCHEMA callbridge TO " + role + ";",
        kAppDatabase));
    return ok_status();
  }

  // --- backups (backup/node_backup.h) -------------------------------------------

  Status with_database(const std::function<Status(PostgresInstance&)>& work) override {
    std::lock_guard lock(mutex_);
    return work(pg_);
  }

  void stop() override {
    {
      std::lock_guard lock(wake_mutex_);
      if (stopping_) return;
      stopping_ = true;
    }
    wake_.notify_all();
    if (worker_.joinable()) worker_.join();
    if (remover_.joinable()) remover_.join();
    std::lock_guard lock(mutex_);
    close_group();
    if (pg_.initialized())
      if (auto st = pg_.stop(); !st) log_->error("{}", st.error().text());
  }

 private:
  // --- configuration ------------------------------------------------------

  json config() const {
    auto s = node_.config().section(kSection);
    return s.is_object() ? s : json::object();
  }

  Status update(const std::function<void(json&)>& change) {
    std::lock_guard lock(state_mutex_);
    return node_.config().update(kSection, [&](json& s) {
      if (!s.is_object()) s = json::object();
      change(s);
      return ok_status();
    });
  }

  static void record(json& s, const std::string& line, bool ok, const std::string& error) {
    s["last_command"] = line;
    s["last_ok"] = ok;
    s["last_error"] = error;
  }

  void record_result(const std::string& line, const Status& st) {
    (void)update([&](json& s) { record(s, line, st.ok(), st.ok() ? "" : st.error().message); });
    if (!st) log_->error("'{}' failed: {}", line, st.error().text());
    else log_->info("'{}' done", line);
  }

  Result<std::string> my_address() const {
    auto iface = config().value("interface", "");
    if (iface.empty())
      return make_error("no database interface is set", "Set it with 'database cluster localnode <iface>' first.");
    return node_.interfaces().address(iface);
  }

  Result<TlsFiles> resolve(const CertNames& n) const {
    TlsFiles f;
    std::pair<const std::string*, fs::path*> all[] = {{&n.server_key, &f.server_key},
                                                      {&n.server_cert, &f.server_cert},
                                                      {&n.client_key, &f.client_key},
                                                      {&n.client_cert, &f.client_cert},
                                                      {&n.ca_cert, &f.ca_cert}};
    for (auto& [name, path] : all) {
      auto p = node_.paths().existing_file(*name);
      if (!p) return p.error();
      *path = *p;
    }
    return f;
  }

  static Status validate(const TlsFiles& f, const CertNames& n) {
    if (auto st = pki::check_key_cert_files(f.server_key, f.server_cert); !st)
      return make_error("server key " + n.server_key + " does not match server certificate " + n.server_cert + ": " +
                            st.error().message,
                        "Nothing was changed. Give the key the certificate was issued for.");
    if (auto st = pki::check_key_cert_files(f.client_key, f.client_cert); !st)
      return make_error("client key " + n.client_key + " does not match client certificate " + n.client_cert + ": " +
                            st.error().message,
                        "Nothing was changed. Give the key the certificate was issued for.");
    auto now = pki::current_time();
    for (auto& [label, cert, name] : {std::tuple{"server certificate", f.server_cert, n.server_cert},
                                      std::tuple{"client certificate", f.client_cert, n.client_cert}}) {
      auto report = pki::verify_chain_files(cert, f.ca_cert, now);
      if (!report.ok()) {
        auto e = report.status().error();
        return make_error(std::string(label) + " " + name + " is not usable with CA " + n.ca_cert + ": " + e.message,
                          "Nothing was changed. " + e.hint);
      }
    }
    return ok_status();
  }

  // After new TLS files: each standby's stream is cut and re-made with them, one
  // standby at a time, the next only once the previous streams again, so a
  // commit always has a standby to wait for and never stalls on the rotation.
  void reconnect_standbys_one_by_one() {
    auto rows = pg_.query("SELECT pid, application_name FROM pg_stat_replication");
    if (!rows) return;
    for (auto& r : *rows) {
      auto pid = r[0].value_or("0");
      auto name = pg::sql_literal(r[1].value_or(""));
      if (!pg_.query("SELECT pg_terminate_backend(" + pid + ")")) continue;
      auto deadline = Clock::now() + std::chrono::seconds(5);
      while (Clock::now() < deadline) {
        auto back = pg_.query("SELECT 1 FROM pg_stat_replication WHERE state = 'streaming' AND application_name = " +
                              name + " AND pid <> " + pid);
        if (back && !back->empty()) break;
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
      }
    }
  }

  Status check_ready() {
    auto me = my_address();
    if (!me) return me.error();
    auto cfg = config();
    if (!cfg.contains("certs"))
      return make_error("no database cluster certificates are set",
                        "Set them with 'database cluster certs <server-key> <server-cert> <client-key> <client-cert> "
                        "<ca-cert>' first.");
    if (!fs::exists(pg_.installed_tls().ca_cert))
      return make_error("the cluster certificates are not installed", "Run 'database cluster certs ...' again.");
    return ok_status();
  }

  PgSettings primary_settings(const std::string& me, const std::string& sync) const {
    return {me, true, sync, ""};
  }
  PgSettings standby_settings(const std::string& me, const std::string& master) const {
    return {me, true, "", primary_conninfo(master, me, pg_.installed_tls())};
  }

  Result<pg::Rows> remote(const std::string& host, const std::string& sql) const {
    ConnSpec spec;
    spec.host = host;
    spec.connect_timeout_s = 2;
    return pg::query(remote_conninfo(spec, pg_.installed_tls()), sql);
  }

  // --- initialize / join / remove ---------------------------------------------

  Status do_initialize() {
    CONVENE_TRY(check_ready());
    auto me = *my_address();
    CONVENE_TRY(pg_.prepare());
    bool fresh = !pg_.initialized();
    if (fresh) CONVENE_TRY(pg_.initdb());
    if (pg_.running()) {
      auto rec = pg_.in_recovery();
      if (rec && *rec) CONVENE_TRY(pg_.promote());  // this node's data becomes the master version
    }
    current_sync_names_.clear();
    CONVENE_TRY(pg_.configure(primary_settings(me, "")));
    CONVENE_TRY(pg_.restart());
    auto has_db = pg_.query(std::string("SELECT 1 FROM pg_database WHERE datname = '") + kAppDatabase + "'");
    if (!has_db) return has_db.error();
    if (has_db->empty()) CONVENE_TRY(pg_.query(std::string("CREATE DATABASE ") + kAppDatabase));
    CONVENE_TRY(pg_.query(
        std::string("DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'replicator') THEN "
                    "CREATE ROLE replicator WITH REPLICATION LOGIN; END IF; END $$;"
                    "GRANT pg_monitor TO replicator;"
                    "CREATE TABLE IF NOT EXISTS ") +
        kMembersTable + " (address text PRIMARY KEY, joined timestamptz NOT NULL DEFAULT now());" +
        "GRANT SELECT, INSERT, DELETE ON " + kMembersTable + " TO replicator;" + "TRUNCATE " + kMembersTable + ";" +
        "INSERT INTO " + kMembersTable + " (address) VALUES (" + pg::sql_literal(me) + ");" +
        // pg_rewind reads the new master's files through these (as replicator).
        "GRANT EXECUTE ON FUNCTION pg_catalog.pg_ls_dir(text, boolean, boolean) TO replicator;"
        "GRANT EXECUTE ON FUNCTION pg_catalog.pg_stat_file(text, boolean) TO replicator;"
        "GRANT EXECUTE ON FUNCTION pg_catalog.pg_read_binary_file(text) TO replicator;"
        "GRANT EXECUTE ON FUNCTION pg_catalog.pg_read_binary_file(text, bigint, bigint, boolean) TO replicator;"));
    CONVENE_TRY(prepare_application_roles());
    close_group();
    CONVENE_TRY(erase_group_data());
    CONVENE_TRY(open_group(true));
    CONVENE_TRY(group_->init_master(me, now_iso()));
    following_ = me;
    following_epoch_ = 1;
    CONVENE_TRY(update([&](json& s) {
      s["enabled"] = true;
      s["master"] = me;
    }));
    log_->info("initialized a new database cluster; master {}", me);
    return ok_status();
  }

  Status do_join(const std::string& master) {
    CONVENE_TRY(check_ready());
    auto me = *my_address();
    CONVENE_TRY(pg_.prepare());
    auto t0 = Clock::now();
    CONVENE_TRY(pg_.clone_from(master, me));
    CONVENE_TRY(update([&](json& s) {
      s["enabled"] = true;
      s["master"] = master;
    }));
    CONVENE_TRY(pg_.configure(standby_settings(me, master)));
    CONVENE_TRY(pg_.start());
    following_ = master;
    close_group();
    CONVENE_TRY(erase_group_data());
    CONVENE_TRY(open_group(false));
    CONVENE_TRY(group_->join(master));
    auto reg = remote(master, std::string("INSERT INTO ") + kMembersTable + " (address) VALUES (" + pg::sql_literal(me) +
                                  ") ON CONFLICT DO NOTHING");
    if (!reg) return make_error("copied the master's database but could not register with it: " + reg.error().message);
    // Done when the master counts this node as a synchronous standby.
    auto deadline = Clock::now() + std::chrono::seconds(20);
    while (Clock::now() < deadline) {
      auto rows = remote(master, "SELECT state, sync_state FROM pg_stat_replication WHERE application_name = " +
                                     pg::sql_literal(me));
      if (rows && !rows->empty() && (*rows)[0][0].value_or("") == "streaming" &&
          ((*rows)[0][1].value_or("") == "quorum" || (*rows)[0][1].value_or("") == "sync")) {
        log_->info("joined the database cluster of {} in {} ms", master,
                   std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - t0).count());
        return ok_status();
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return make_error("joined " + master + " but replication did not become synchronous within 20 s",
                      "See DIR/state/dbrun/postgresql.log on both nodes.");
  }

  Status do_remove() {
    auto cfg = config();
    auto me = my_address();
    std::string master = cfg.value("master", "");
    auto rec = pg_.running() ? pg_.in_recovery() : Result<bool>(make_error("not running"));
    if (rec && !*rec && me) {
      // A leaving master tells the members that stay (they elect a new master);
      // locally committed, so a cluster without standbys cannot hold the remove up.
      auto r = pg_.query("SET synchronous_commit = local; DELETE FROM " + std::string(kMembersTable) +
                         " WHERE address = " + pg::sql_literal(*me));
      if (!r) log_->warn("could not tell the other members that this node leaves: {}", r.error().message);
    }
    if (group_) {
      if (auto st = group_->leave(); !st)
        log_->warn("could not leave the agents' group cleanly ({}); remove this node on another member",
                   st.error().message);
    }
    close_group();
    CONVENE_TRY(erase_group_data());
    fenced_ = false;
    following_.clear();
    following_epoch_ = 0;
    set_failover_line("");
    if (rec && *rec) {
      if (me && !master.empty()) {
        auto r = remote(master, std::string("DELETE FROM ") + kMembersTable + " WHERE address = " + pg::sql_literal(*me));
        if (!r) log_->warn("could not tell the master {} that this node leaves: {}", master, r.error().message);
      }
      CONVENE_TRY(pg_.promote());
    }
    // Standalone: stop waiting for standbys, stop listening on the network, then
    // forget the other members (after the restart: no standby receives that).
    current_sync_names_.clear();
    if (pg_.initialized()) {
      CONVENE_TRY(pg_.configure({"", false, "", ""}));
      CONVENE_TRY(pg_.restart());
      CONVENE_TRY(pg_.query(std::string("TRUNCATE ") + kMembersTable));
    }
    CONVENE_TRY(update([&](json& s) {
      s["enabled"] = false;
      s.erase("master");
    }));
    return ok_status();
  }

  // --- status -------------------------------------------------------------

  std::vector<NodeLine> node_lines(const std::string& me, const std::string& master) {
    auto members = known_members();
    if (std::find(members.begin(), members.end(), me) == members.end()) members.push_back(me);
    std::sort(members.begin(), members.end());
    std::string sql = "SELECT application_name, state, sync_state FROM pg_stat_replication";
    Result<pg::Rows> repl = master == me ? pg_.query(sql) : remote(master, sql);
    std::vector<NodeLine> out;
    for (auto& m : members) {
      NodeLine line{m, m == me, ""};
      if (m == master && m == me && fenced_) {
        line.state = "Fenced Master (no majority: not accepting writes)";
      } else if (m == master) {
        line.state = (m == me ? pg_.running() : repl.ok()) ? "Connected Master" : "Unreachable";
      } else if (!repl) {
        line.state = m == me ? "Disconnected Slave (master unreachable)" : "Unknown (master unreachable)";
      } else {
        line.state = m == me ? "Disconnected Slave" : "Unreachable";
        for (auto& r : *repl) {
          if (r[0].value_or("") != m) continue;
          auto state = r[1].value_or(""), sync = r[2].value_or("");
          if (state == "streaming")
            line.state = (sync == "sync" || sync == "quorum") ? "Connected Slave ( In Sync )"
                                                              : "Connected Slave ( Out Of Sync )";
          else
            line.state = "Connected Slave ( Catching Up )";
        }
      }
      out.push_back(line);
    }
    return out;
  }

  std::vector<CertLine> cert_lines(const json& cfg) const {
    json c = cfg.value("certs", json::object());
    std::vector<CertLine> out = {{"Server Key", c.value("server_key", ""), {}, false},
                                 {"Server Certificate", c.value("server_cert", ""), {}, false},
                                 {"Client Key", c.value("client_key", ""), {}, false},
                                 {"Client Certificate", c.value("client_cert", ""), {}, false},
                                 {"CA Certificate", c.value("ca_cert", ""), {}, false}};
    for (auto& line : out) {
      if (line.file.empty()) continue;
      auto p = node_.paths().existing_file(line.file);
      if (!p) {
        line.missing = true;
        continue;
      }
      if (line.label.find("Certificate") == std::string::npos) continue;
      auto certs = pki::load_certificates(*p);
      if (certs && !certs->empty()) {
        auto info = pki::read_certificate_info(certs->front().get());
        if (info) line.info = *info;
      }
    }
    return out;
  }

  void log_expiry() {
    for (auto& w : expiry_warnings(cert_lines(config()), pki::current_time())) log_->warn("certificate: {}", w);
  }

  // --- the agents' group ----------------------------------------------------

  fs::path group_dir() const { return node_.paths().state() / "db-raft"; }

  Status open_group(bool bootstrap) {
    auto me = my_address();
    if (!me) return me.error();
    auto id = node_id(node_);
    if (!id) return id.error();
    auto installed = pg_.installed_tls();
    auto tls = tls::TlsContextSource::open({installed.server_key, installed.server_cert, installed.ca_cert});
    if (!tls) return tls.error();
    AgentGroup::Config c{*id, *me, group_dir(), *tls, bootstrap};
    auto group = AgentGroup::start(std::move(c));
    if (!group) return group.error();
    group_tls_ = *tls;
    group_ = std::move(*group);
    last_majority_ = Clock::now();
    return ok_status();
  }

  void close_group() {
    if (group_) group_->stop();
    group_.reset();
    group_tls_.reset();
  }

  Status erase_group_data() {
    std::error_code ec;
    fs::remove_all(group_dir(), ec);
    if (ec) return make_error("cannot remove '" + group_dir().string() + "': " + ec.message());
    return ok_status();
  }

  // --- background: failover and the master's synchronous standby list ----------
  //
  // Every 100 ms each agent reports its PostgreSQL to the group's leader and
  // brings its PostgreSQL in line with the agreed record: the master runs a
  // primary (promoting its standby when it was just chosen), every other node a
  // standby of the master (rewound first when it was a primary). The leader also
  // watches the master and, when it has been silent for kMasterSilence, promotes
  // the most advanced standby (master_choice.h). A master that has not seen a
  // majority for kFenceAfter stops its PostgreSQL (fencing): it could not commit
  // anyway (synchronous replication), and its clients learn at once to look for
  // the new master.

  static constexpr auto kPeriod = std::chrono::milliseconds(100);
  static constexpr auto kMajorityWindow = std::chrono::milliseconds(1000);
  static constexpr auto kFenceAfter = std::chrono::milliseconds(1500);
  static constexpr auto kMasterSilence = std::chrono::milliseconds(2000);
  static constexpr auto kReportWait = std::chrono::milliseconds(1000);
  static constexpr auto kRejoinRetry = std::chrono::seconds(2);

  void work() {
    auto last_expiry_log = Clock::now();
    for (;;) {
      {
        std::unique_lock lock(wake_mutex_);
        wake_.wait_for(lock, kPeriod, [this] { return stopping_; });
        if (stopping_) return;
      }
      if (Clock::now() - last_expiry_log > std::chrono::hours(6)) {
        last_expiry_log = Clock::now();
        log_expiry();
      }
      std::unique_lock lock(mutex_, std::try_to_lock);
      if (!lock.owns_lock()) continue;  // a command is changing things
      reconcile();
    }
  }

  void reconcile() {
    auto cfg = config();
    if (!cfg.value("enabled", false) || disabling_) return;
    auto me_r = my_address();
    if (!me_r) return;
    const std::string me = *me_r;
    if (!group_) {  // an older cluster without failover: only the standby list
      set_failover_line("Manual (this cluster predates automatic failover: remove and join again to get it)");
      if (cfg.value("master", "") == me && pg_.running()) keep_sync_names(me);
      return;
    }
    auto now = Clock::now();
    bool running = pg_.running();
    AgentReport mine;
    mine.running = running;
    mine.epoch = following_epoch_;
    if (running) {
      if (auto rec = pg_.in_recovery()) mine.standby = *rec;
      if (auto pos = pg_.wal_position()) mine.lsn = *pos;
    }
    group_->report(mine);

    auto st = group_->status();
    bool leading = st.role == cluster::Role::leader;
    if (leading && !was_leading_) leading_since_ = now;
    was_leading_ = leading;
    if (group_->in_majority(kMajorityWindow)) last_majority_ = now;

    // Fencing first: it must not wait for anything the lost majority would give.
    bool think_master = group_->view().master == me;
    if (think_master && now - last_majority_ > kFenceAfter) {
      if (!fenced_) {
        log_->warn("database: this master has not reached a majority of the agents for {} ms: stopping PostgreSQL "
                   "(no writes without a majority)",
                   std::chrono::duration_cast<std::chrono::milliseconds>(now - last_majority_).count());
        fenced_ = true;
      }
      set_failover_line("Automatic; this master reaches no majority of the agents: PostgreSQL stopped");
      if (running && !mine.standby)
        if (auto s = pg_.stop(true); !s) log_->error("{}", s.error().text());
      return;
    }
    if (fenced_) {  // the majority is back: read the record again before acting on it
      fenced_ = false;
      group_->resync();
      last_hello_ = now;
      return;
    }
    if (!group_->synced()) {
      set_failover_line("Automatic; waiting for a majority of the agents' group");
      if (now - last_hello_ > std::chrono::seconds(1)) {
        group_->resync();
        last_hello_ = now;
      }
      return;
    }
    auto view = group_->view();
    if (view.master.empty()) return;
    std::size_t voters = 0;
    for (auto& m : st.members) voters += m.voter;
    set_failover_line("Automatic (agents' group of " + std::to_string(voters) + "); master since " + view.since +
                      (view.previous.empty() ? "" : ", took over from " + view.previous));
    if (view.master != cfg.value("master", "")) {
      log_->info("database: the master is now {} (epoch {})", view.master, view.epoch);
      (void)update([&](json& s) { s["master"] = view.master; });
    }
    if (view.master == me) act_as_master(view, me, running, mine.standby);
    else act_as_standby(view, me, running, mine.standby, now);
    if (leading) watch_master(view, st, now);
    else lost_since_.reset();
  }

  void act_as_master(const MasterView& view, const std::string& me, bool running, bool standby) {
    if (!running) {
      auto primary = pg_.was_primary();
      Status s = primary && *primary ? pg_.configure(primary_settings(me, "")) : ok_status();
      if (s) s = primary && *primary ? pg_.start() : pg_.start_promoted(primary_settings(me, ""));
      if (s && !(primary && *primary)) s = checkpoint();
      if (!s) {
        log_->error("database: cannot start the master: {}", s.error().text());
        return;
      }
      log_->info("database: PostgreSQL started as master (epoch {})", view.epoch);
      current_sync_names_ = "\x01";
    } else if (standby) {
      auto t0 = Clock::now();
      Status s = pg_.promote();
      // A checkpoint puts the new timeline in the control file, where pg_rewind
      // of the old master looks for it (postgres_instance.h).
      if (s) s = checkpoint();
      if (s) s = pg_.configure(primary_settings(me, ""));
      if (s) s = pg_.reload();
      if (!s) {
        log_->error("database: promotion failed: {}", s.error().text());
        return;
      }
      log_->warn("database: promoted to master (epoch {}) in {} ms", view.epoch,
                 std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - t0).count());
      current_sync_names_ = "\x01";
    }
    following_ = me;
    following_epoch_ = view.epoch;
    keep_sync_names(me);
  }

  void set_failover_line(std::string line) {
    std::lock_guard lock(state_mutex_);
    failover_line_ = std::move(line);
  }

  Status checkpoint() {
    auto r = pg_.query("CHECKPOINT");
    if (!r) return r.error();
    return ok_status();
  }

  void act_as_standby(const MasterView& view, const std::string& me, bool running, bool standby,
                      Clock::time_point now) {
    const std::string& master = view.master;
    bool needs_rewind = running && !standby;
    if (!running) {
      auto primary = pg_.was_primary();
      needs_rewind = primary && *primary;
    }
    if (needs_rewind) {
      if (now - last_rejoin_ < kRejoinRetry) return;
      last_rejoin_ = now;
      log_->warn("database: this node's data was a master's; rewinding onto the master {}", master);
      auto s = pg_.rewind_from(master);
      if (!s) {
        log_->warn("database: {}; copying the master's database instead", s.error().text());
        s = pg_.clone_from(master, me);
      }
      if (!s) {
        log_->error("database: cannot follow {} yet: {}", master, s.error().text());
        return;
      }
      running = false;
    }
    if (!running || following_ != master || following_epoch_ != view.epoch) {
      if (auto s = pg_.configure(standby_settings(me, master)); !s) {
        log_->error("{}", s.error().text());
        return;
      }
      auto s = running ? pg_.reload() : pg_.start();  // PostgreSQL 15 takes a new primary_conninfo on reload
      if (!s) {
        log_->error("database: cannot run as a standby of {}: {}", master, s.error().text());
        return;
      }
      if (following_ != master) log_->info("database: following the master {} (epoch {})", master, view.epoch);
      following_ = master;
      following_epoch_ = view.epoch;
    }
  }

  void watch_master(const MasterView& view, const cluster::ConsensusStatus& st, Clock::time_point now) {
    const cluster::Member* master = nullptr;
    for (auto& m : st.members)
      if (m.voter && AgentGroup::pg_address_of(m.address) == view.master) master = &m;
    std::optional<std::int64_t> age;
    if (master && master->id == st.id) age = 0;
    else if (master && master->last_contact_age) age = master->last_contact_age->count();
    auto ms = [](auto d) { return std::chrono::duration_cast<std::chrono::milliseconds>(d).count(); };
    if (!master_lost(master != nullptr, age, ms(now - leading_since_), ms(kMasterSilence))) {
      lost_since_.reset();
      return;
    }
    if (!lost_since_) {
      lost_since_ = now;
      log_->warn("database: the master {} is lost ({}): choosing a new master", view.master,
                 master ? "silent" : "no longer a member");
      return;
    }
    if (promoted_from_ == view.epoch) return;
    auto reports = group_->reports();
    std::vector<StandbyReport> others;
    for (auto& m : st.members) {
      if (!m.voter || &m == master) continue;
      StandbyReport r;
      r.address = AgentGroup::pg_address_of(m.address);
      r.reachable = m.id == st.id || (m.last_contact_age && *m.last_contact_age <= kMajorityWindow);
      if (auto it = reports.find(m.id); it != reports.end()) {
        r.fresh = it->second.at > *lost_since_;
        r.standby = it->second.report.running && it->second.report.standby;
        r.epoch = it->second.report.epoch;
        r.lsn = it->second.report.lsn;
      }
      others.push_back(r);
    }
    auto choice = choose_new_master(others, view.epoch, now - *lost_since_ > kReportWait);
    if (!choice) return;
    promoted_from_ = view.epoch;
    auto r = group_->promote(*choice, view.epoch, now_iso());
    if (!r || *r != "ok") {
      log_->warn("database: promoting {} was not recorded: {}", *choice, r ? *r : r.error().message);
      promoted_from_ = 0;
      return;
    }
    log_->warn("database: {} chosen as master (epoch {}), {} ms after the master was lost", *choice, view.epoch + 1,
               ms(Clock::now() - *lost_since_));
  }

  // The master keeps synchronous_standby_names in step with the members.
  void keep_sync_names(const std::string& me) {
    auto rows = pg_.query(std::string("SELECT address FROM ") + kMembersTable + " ORDER BY address");
    if (!rows) return;
    std::vector<std::string> members;
    for (auto& r : *rows) members.push_back(r[0].value_or(""));
    auto names = synchronous_standby_names(members, me);
    if (names == current_sync_names_) return;
    if (auto st = pg_.configure(primary_settings(me, names)); !st) {
      log_->error("{}", st.error().text());
      return;
    }
    if (auto st = pg_.reload(); !st) {
      log_->error("{}", st.error().text());
      return;
    }
    current_sync_names_ = names;
    log_->info("synchronous_standby_names = '{}'", names);
  }

  Node& node_;
  PostgresInstance pg_;
  std::shared_ptr<spdlog::logger> log_;
  std::mutex mutex_;        // serializes commands and the worker's changes
  std::mutex state_mutex_;  // guards the disabling flag/time and config updates for status()
  std::atomic<bool> disabling_{false};
  Clock::time_point disabling_since_{};
  std::string current_sync_names_ = "\x01";  // unknown: the worker writes it once
  std::vector<std::string> last_members_;
  std::thread worker_, remover_;
  // The agents' group and the failover state (worker and commands, under mutex_).
  std::unique_ptr<AgentGroup> group_;
  std::shared_ptr<tls::TlsContextSource> group_tls_;
  std::atomic<bool> fenced_{false};
  Clock::time_point last_majority_{}, last_hello_{}, leading_since_{}, last_rejoin_{};
  bool was_leading_ = false;
  std::optional<Clock::time_point> lost_since_;
  std::uint64_t promoted_from_ = 0;
  std::string following_;  // the master this node's PostgreSQL follows (or itself)
  std::uint64_t following_epoch_ = 0;
  std::string failover_line_;  // status's "Failover" line (state_mutex_)
  std::mutex wake_mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
};

}  // namespace

Result<std::unique_ptr<Agent>> open_agent(Node& node) {
  auto agent = std::make_unique<AgentImpl>(node);
  CONVENE_TRY(agent->open());
  return std::unique_ptr<Agent>(std::move(agent));
}

}  // namespace convene::dbcluster
