#include "dbcluster/membership.h"

#include <thread>
#include <tuple>

#include "dbcluster/callbridge_schema.h"
#include "dbcluster/cluster_roles.h"
#include "node/node.h"
#include "pki/certificate_info.h"
#include "pki/key.h"
#include "pki/verify.h"
#include "pg/connection.h"
#include "dbcluster/replication.h"

namespace convene::dbcluster {

namespace fs = std::filesystem;
using json = nlohmann::json;

// The seed's confirmation texts, verbatim.
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

namespace {

Result<TlsFiles> resolve(const Node& node, const CertNames& n) {
  TlsFiles f;
  std::pair<const std::string*, fs::path*> all[] = {{&n.server_key, &f.server_key},
                                                    {&n.server_cert, &f.server_cert},
                                                    {&n.client_key, &f.client_key},
                                                    {&n.client_cert, &f.client_cert},
                                                    {&n.ca_cert, &f.ca_cert}};
  for (auto& [name, path] : all) {
    auto p = node.paths().existing_file(*name);
    if (!p) return p.error();
    *path = *p;
  }
  return f;
}

Status validate(const TlsFiles& f, const CertNames& n) {
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

// On a live cluster, before the files are swapped: each other member is asked
// over TLS with the NEW files (their CA checking the member's server certificate
// and the address, the member checking the new client certificate). A TLS failure
// there that the current files do not have is the new files' fault: refused, with
// libpq's cause. Members that do not answer either way cannot be checked (said).
// A member refusing only the client certificate's CN (pg_ident) is not refused
// here: the CN a master admits follows its own rotation, so slaves go first.
Status check_against_members(AgentCore& core, const TlsFiles& next, const CertNames& n,
                             const std::function<void(const std::string&)>& say) {
  auto me = core.my_address();
  if (!me) return ok_status();
  for (auto& member : core.known_members()) {
    if (member == *me) continue;
    ConnSpec spec;
    spec.host = member;
    spec.connect_timeout_s = 2;
    auto with_new = pg::query(remote_conninfo(spec, next), "SELECT 1");
    if (with_new) continue;
    auto with_old = core.remote(member, "SELECT 1");
    std::string cause = with_new.error().message;
    while (!cause.empty() && (cause.back() == '\n' || cause.back() == ' ')) cause.pop_back();
    if (!with_old) {
      say("WARNING: could not check the new certificates against " + member + " (it does not answer: " + cause + ")");
      continue;
    }
    if (with_new.code() == ErrorCode::permission_denied) {
      say("WARNING: " + member + " does not admit the new client certificate's name yet (" + cause +
          "); it will once it has the same certificates");
      continue;
    }
    return make_error(ErrorCode::failed_precondition,
                      "the new certificates do not work with cluster member " + member + " (CA " + n.ca_cert +
                          ", client certificate " + n.client_cert + "): " + cause,
                      "Nothing was changed. The member still uses the certificates of the current CA: this node "
                      "would lose it at its next connection. To change the CA, go in stages: first a CA bundle of "
                      "the old and the new CA on every node, then the new certificates, then the new CA alone.");
  }
  return ok_status();
}

}  // namespace

Status Membership::resume() {
  auto cfg = core_.settings();
  if (core_.pg.initialized()) {
    CONVENE_TRY(core_.pg.prepare());
    if (cfg.enabled && !fs::exists(core_.group_dir())) {
      // A cluster made before the agents had a group: run as configured, without
      // failover, and say how to get it.
      core_.log->warn(
          "database: this node's cluster has no agents' group (made by an older version): no automatic "
          "failover until it is removed and joined again");
      auto me = core_.my_address();
      const std::string& master = cfg.master;
      if (me && master == *me) CONVENE_TRY(core_.pg.configure(core_.primary_settings(*me, "")));
      else if (me && !master.empty()) CONVENE_TRY(core_.pg.configure(core_.standby_settings(*me, master)));
      if (auto st = core_.pg.start(); !st) core_.log->error("database: {}", st.error().text());
    } else if (cfg.enabled) {
      if (auto st = core_.open_group(false); !st) core_.log->error("database: {}", st.error().text());
      // Only a standby starts at once (it cannot take writes). A node that was
      // master waits until the agents' group confirms it still is: another node
      // may have been promoted while this one was down (the worker decides).
      auto me = core_.my_address();
      const std::string& master = cfg.master;
      auto primary_data = core_.pg.was_primary();
      if (me && !master.empty() && master != *me && primary_data && !*primary_data) {
        CONVENE_TRY(core_.pg.configure(core_.standby_settings(*me, master)));
        if (auto st = core_.pg.start(); !st) core_.log->error("database: {}", st.error().text());
        core_.following = master;
      }
    } else if (auto st = core_.pg.start(); !st) {
      core_.log->error("database: {}", st.error().text());
    }
  }
  return ok_status();
}

Status Membership::set_localnode(const std::string& iface, const std::string& line) {
  auto address = core_.node.interfaces().address(iface);
  if (!address) return address.error();
  if (core_.settings().enabled)
    return make_error("cannot change the interface while clustering is enabled",
                      "Run 'database cluster remove' first, then set the interface and initialize or join again.");
  return core_.update([&](json& s) {
    s["interface"] = iface;
    core_.record(s, line, true, "");
  });
}

Status Membership::set_certs(const CertNames& n, const std::string& line,
                             const std::function<void(const std::string&)>& say) {
  auto files = resolve(core_.node, n);
  if (!files) return files.error();
  CONVENE_TRY(validate(*files, n));
  auto cfg = core_.settings();
  bool live = cfg.enabled && core_.pg.running();
  if (live) CONVENE_TRY(check_against_members(core_, *files, n, say));
  CONVENE_TRY(core_.pg.prepare());
  CONVENE_TRY(install_tls_files(*files, core_.pg.installed_tls()));
  if (live) {
    // PostgreSQL re-reads its TLS files on reload; sessions already open keep the
    // old ones, so the replication links are cut and re-made with the new files.
    CONVENE_TRY(core_.pg.reload());
    if (core_.group_tls)
      if (auto st = core_.group_tls->reload(); !st)
        core_.log->error("agents' group certificates: {}", st.error().text());
    auto me = core_.my_address();
    const std::string& master = cfg.master;
    if (me && master == *me) {
      reconnect_standbys_one_by_one();
    } else if (me && !master.empty()) {
      (void)core_.remote(master, "SELECT pg_terminate_backend(pid) FROM pg_stat_replication WHERE application_name = " +
                                     pg::sql_literal(*me));
    }
    core_.log->info("database cluster certificates rotated on the running cluster");
    say("Certificates updated");
    say("The running cluster now uses them (PostgreSQL reloaded, replication reconnected)");
  } else {
    say("Certificates updated");
  }
  return core_.update([&](json& s) {
    s["certs"] = n;
    core_.record(s, line, true, "");
  });
}

Status Membership::check_ready() {
  auto me = core_.my_address();
  if (!me) return me.error();
  if (!core_.settings().certs)
    return make_error("no database cluster certificates are set",
                      "Set them with 'database cluster certs <server-key> <server-cert> <client-key> <client-cert> "
                      "<ca-cert>' first.");
  if (!fs::exists(core_.pg.installed_tls().ca_cert))
    return make_error("the cluster certificates are not installed", "Run 'database cluster certs ...' again.");
  return ok_status();
}

Status Membership::check_join(const std::string& master) {
  CONVENE_TRY(check_ready());
  auto me = core_.my_address();
  if (master == *me) return make_error("cannot join this node to itself", "Give the address of the cluster's master.");
  // The master must answer over TLS with our certificates before anything is destroyed.
  auto rows = core_.remote(master, "SELECT pg_is_in_recovery()");
  if (!rows)
    return make_error("cannot reach a database master at " + master + ": " + rows.error().message,
                      "Nothing was changed. Check the address, that the master is initialized, and that both nodes "
                      "use certificates of the same CA.");
  if (rows->empty() || (*rows)[0][0].value_or("") != "f")
    return make_error(master + " is not the master of its cluster (it is a slave)",
                      "Nothing was changed. Join the cluster's master ('database cluster status' there shows it).");
  return ok_status();
}

Status Membership::initialize() {
  CONVENE_TRY(check_ready());
  auto me = *core_.my_address();
  CONVENE_TRY(core_.pg.prepare());
  bool fresh = !core_.pg.initialized();
  if (fresh) CONVENE_TRY(core_.pg.initdb());
  if (core_.pg.running()) {
    auto rec = core_.pg.in_recovery();
    if (rec && *rec) CONVENE_TRY(core_.pg.promote());  // this node's data becomes the master version
  }
  core_.current_sync_names.clear();
  CONVENE_TRY(core_.pg.configure(core_.primary_settings(me, "")));
  CONVENE_TRY(core_.pg.restart());
  CONVENE_TRY(create_application_database(core_.pg));
  CONVENE_TRY(prepare_cluster_roles(core_.pg, me));
  CONVENE_TRY(prepare_callbridge_schema(core_.pg));
  core_.close_group();
  CONVENE_TRY(core_.erase_group_data());
  CONVENE_TRY(core_.open_group(true));
  CONVENE_TRY(core_.group->init_master(me, now_iso()));
  core_.following = me;
  core_.following_epoch = 1;
  CONVENE_TRY(core_.update([&](json& s) {
    s["enabled"] = true;
    s["master"] = me;
  }));
  core_.log->info("initialized a new database cluster; master {}", me);
  return ok_status();
}

Status Membership::join(const std::string& master) {
  CONVENE_TRY(check_ready());
  auto me = *core_.my_address();
  CONVENE_TRY(core_.pg.prepare());
  auto t0 = AgentClock::now();
  CONVENE_TRY(core_.pg.clone_from(master, me));
  CONVENE_TRY(core_.update([&](json& s) {
    s["enabled"] = true;
    s["master"] = master;
  }));
  CONVENE_TRY(core_.pg.configure(core_.standby_settings(me, master)));
  CONVENE_TRY(core_.pg.start());
  core_.following = master;
  core_.close_group();
  CONVENE_TRY(core_.erase_group_data());
  CONVENE_TRY(core_.open_group(false));
  CONVENE_TRY(core_.group->join(master));
  auto reg = core_.remote(master, std::string("INSERT INTO ") + kMembersTable + " (address) VALUES (" +
                                      pg::sql_literal(me) + ") ON CONFLICT DO NOTHING");
  if (!reg) return make_error("copied the master's database but could not register with it: " + reg.error().message);
  // Done when the master counts this node as a synchronous standby.
  auto deadline = AgentClock::now() + std::chrono::seconds(20);
  while (AgentClock::now() < deadline) {
    auto rows = core_.remote(
        master, "SELECT state, sync_state FROM pg_stat_replication WHERE application_name = " + pg::sql_literal(me));
    if (rows && !rows->empty() && (*rows)[0][0].value_or("") == "streaming" &&
        ((*rows)[0][1].value_or("") == "quorum" || (*rows)[0][1].value_or("") == "sync")) {
      core_.log->info("joined the database cluster of {} in {} ms", master,
                      std::chrono::duration_cast<std::chrono::milliseconds>(AgentClock::now() - t0).count());
      return ok_status();
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return make_error("joined " + master + " but replication did not become synchronous within 20 s",
                    "See DIR/state/dbrun/postgresql.log on both nodes.");
}

Status Membership::remove() {
  auto me = core_.my_address();
  std::string master = core_.settings().master;
  auto rec = core_.pg.running() ? core_.pg.in_recovery() : Result<bool>(make_error("not running"));
  if (rec && !*rec && me) {
    // A leaving master tells the members that stay (they elect a new master);
    // locally committed, so a cluster without standbys cannot hold the remove up.
    auto r = core_.pg.query("SET synchronous_commit = local; DELETE FROM " + std::string(kMembersTable) +
                            " WHERE address = " + pg::sql_literal(*me));
    if (!r) core_.log->warn("could not tell the other members that this node leaves: {}", r.error().message);
  }
  if (core_.group) {
    if (auto st = core_.group->leave(); !st)
      core_.log->warn("could not leave the agents' group cleanly ({}); remove this node on another member",
                      st.error().message);
  }
  core_.close_group();
  CONVENE_TRY(core_.erase_group_data());
  core_.fenced = false;
  core_.following.clear();
  core_.following_epoch = 0;
  core_.set_failover_line("");
  if (rec && *rec) {
    if (me && !master.empty()) {
      auto r = core_.remote(master,
                            std::string("DELETE FROM ") + kMembersTable + " WHERE address = " + pg::sql_literal(*me));
      if (!r) core_.log->warn("could not tell the master {} that this node leaves: {}", master, r.error().message);
    }
    CONVENE_TRY(core_.pg.promote());
  }
  // Standalone: stop waiting for standbys, stop listening on the network, then
  // forget the other members (after the restart: no standby receives that).
  core_.current_sync_names.clear();
  if (core_.pg.initialized()) {
    CONVENE_TRY(core_.pg.configure({"", false, "", ""}));
    CONVENE_TRY(core_.pg.restart());
    CONVENE_TRY(core_.pg.query(std::string("TRUNCATE ") + kMembersTable));
  }
  CONVENE_TRY(core_.update([&](json& s) {
    s["enabled"] = false;
    s.erase("master");
  }));
  return ok_status();
}

// After new TLS files: each standby's stream is cut and re-made with them, one
// standby at a time, the next only once the previous streams again, so a
// commit always has a standby to wait for and never stalls on the rotation.
void Membership::reconnect_standbys_one_by_one() {
  auto rows = core_.pg.query("SELECT pid, application_name FROM pg_stat_replication");
  if (!rows) return;
  for (auto& r : *rows) {
    auto pid = r[0].value_or("0");
    auto name = pg::sql_literal(r[1].value_or(""));
    if (!core_.pg.query("SELECT pg_terminate_backend(" + pid + ")")) continue;
    auto deadline = AgentClock::now() + std::chrono::seconds(5);
    while (AgentClock::now() < deadline) {
      auto back =
          core_.pg.query("SELECT 1 FROM pg_stat_replication WHERE state = 'streaming' AND application_name = " + name +
                         " AND pid <> " + pid);
      if (back && !back->empty()) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  }
}

}  // namespace convene::dbcluster
