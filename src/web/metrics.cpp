#include "web/metrics.h"

#include "admin/config_sections.h"
#include "admin/daemon.h"
#include "dbcluster/agent.h"
#include "node/node.h"
#include "pki/certificate_info.h"
#include "web/cms_render.h"
#include "web/node_certificates.h"
#include "web/web_context.h"

namespace convene::web {

namespace {

class Writer {
 public:
  void metric(const std::string& name, const std::string& type, const std::string& help) {
    out_ += "# HELP " + name + " " + help + "\n# TYPE " + name + " " + type + "\n";
  }
  void value(const std::string& name, const std::string& labels, double v) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.17g", v);
    out_ += name + (labels.empty() ? "" : "{" + labels + "}") + " " + buf + "\n";
  }
  std::string text() { return std::move(out_); }

 private:
  std::string out_;
};

std::string label_value(const std::string& v) {
  std::string out;
  for (char c : v) {
    if (c == '\\' || c == '"') out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  return out;
}

// One gauge per role, 1 for this node's (what its PostgreSQL says now; none
// without a database agent), and the lag PostgreSQL reports; a lag it does not
// report gets no sample rather than 0.
void database_replication(Writer& w, dbcluster::Agent* agent) {
  using Role = dbcluster::ReplicationState::Role;
  auto r = agent ? agent->replication_state() : dbcluster::ReplicationState{};
  w.metric("convene_database_role", "gauge", "1 for this node's database role now (unknown: PostgreSQL did not answer)");
  for (Role role : {Role::master, Role::standby, Role::none, Role::unknown})
    w.value("convene_database_role", std::string("role=\"") + dbcluster::replication_role_name(role) + "\"",
            r.role == role ? 1 : 0);
  if (r.role == Role::master) {
    w.metric("convene_database_replication_lag_bytes", "gauge", "WAL bytes a standby has not replayed yet (on the master)");
    for (auto& l : r.standbys)
      if (l.bytes) w.value("convene_database_replication_lag_bytes", "standby=\"" + label_value(l.standby) + "\"",
                           static_cast<double>(*l.bytes));
    w.metric("convene_database_replication_lag_seconds", "gauge", "a standby's replay_lag (on the master; none while idle)");
    for (auto& l : r.standbys)
      if (l.seconds) w.value("convene_database_replication_lag_seconds", "standby=\"" + label_value(l.standby) + "\"", *l.seconds);
  }
  if (r.role == Role::standby && r.replay_backlog) {
    w.metric("convene_database_replay_backlog_bytes", "gauge", "WAL bytes received on this standby and not replayed yet");
    w.value("convene_database_replay_backlog_bytes", "", static_cast<double>(*r.replay_backlog));
  }
}

}  // namespace

std::string render_metrics(WebContext& routes) {
  Daemon& daemon = routes.daemon();
  Writer w;
  auto x = daemon.xmpp().status();
  w.metric("convene_xmpp_up", "gauge", "1 when the XMPP service runs on this node");
  w.value("convene_xmpp_up", "", x.running ? 1 : 0);
  w.metric("convene_xmpp_client_sessions", "gauge", "client sessions on this node");
  w.value("convene_xmpp_client_sessions", "", static_cast<double>(x.client_sessions));
  w.metric("convene_xmpp_cluster_sessions", "gauge", "client sessions on the other nodes of the cluster");
  w.value("convene_xmpp_cluster_sessions", "", static_cast<double>(x.cluster_sessions));
  w.metric("convene_xmpp_components", "gauge", "components (call bridges) connected to this node");
  w.value("convene_xmpp_components", "", static_cast<double>(x.components.size()));
  w.metric("convene_xmpp_stanzas_routed_total", "counter",
           "stanzas this node routed (to its users, its components or other nodes), since the service started");
  w.value("convene_xmpp_stanzas_routed_total", "kind=\"message\"", static_cast<double>(x.routed_messages));
  w.value("convene_xmpp_stanzas_routed_total", "kind=\"presence\"", static_cast<double>(x.routed_presences));
  w.value("convene_xmpp_stanzas_routed_total", "kind=\"iq\"", static_cast<double>(x.routed_iqs));
  w.metric("convene_xmpp_stanzas_forwarded_total", "counter", "stanzas this node sent to other nodes");
  w.value("convene_xmpp_stanzas_forwarded_total", "", static_cast<double>(x.forwarded));
  w.metric("convene_xmpp_stanzas_forwarded_straight_total", "counter",
           "stanzas this node sent straight to the node holding the recipient");
  w.value("convene_xmpp_stanzas_forwarded_straight_total", "", static_cast<double>(x.forwarded_straight));
  w.metric("convene_xmpp_stanzas_passed_on_total", "counter", "stanzas this node passed on as leader for other nodes");
  w.value("convene_xmpp_stanzas_passed_on_total", "", static_cast<double>(x.passed_on));
  w.metric("convene_xmpp_stanzas_resent_total", "counter", "stanzas sent to other nodes again");
  w.value("convene_xmpp_stanzas_resent_total", "", static_cast<double>(x.resent));
  w.metric("convene_xmpp_stanzas_delivered_for_others_total", "counter",
           "stanzas delivered here for other nodes");
  w.value("convene_xmpp_stanzas_delivered_for_others_total", "", static_cast<double>(x.delivered_for_others));

  if (auto cluster = daemon.cluster_store()) {
    auto s = cluster->status();
    w.metric("convene_raft_term", "gauge", "the XMPP cluster's raft term as this node sees it");
    w.value("convene_raft_term", "", static_cast<double>(s.term));
    w.metric("convene_raft_role", "gauge", "1 for this node's raft role");
    w.value("convene_raft_role", std::string("role=\"") + cluster::role_name(s.role) + "\"", 1);
    w.metric("convene_raft_last_applied", "gauge", "the last raft log index applied on this node");
    w.value("convene_raft_last_applied", "", static_cast<double>(s.last_applied));
    w.metric("convene_raft_commit_index", "gauge", "the highest raft log index this node knows committed");
    w.value("convene_raft_commit_index", "", static_cast<double>(s.commit_index));
    w.metric("convene_raft_members", "gauge", "members of the XMPP cluster in this node's view");
    w.value("convene_raft_members", "", static_cast<double>(s.members.size()));
  }

  database_replication(w, daemon.database_if_open());
  if (auto* agent = daemon.database_if_open(); agent && agent->in_cluster()) {
    if (auto view = agent->cluster_view()) {
      w.metric("convene_database_members", "gauge", "members of the database cluster");
      w.value("convene_database_members", "", static_cast<double>(view->members.size()));
      w.metric("convene_database_master_known", "gauge", "1 when this node knows the database master now");
      w.value("convene_database_master_known", "", view->master.empty() ? 0 : 1);
    }
  }

  w.metric("convene_webadmin_logins_total", "counter", "logins over HTTPS since the daemon started");
  w.value("convene_webadmin_logins_total", "result=\"ok\"", static_cast<double>(routes.logins_ok()));
  w.value("convene_webadmin_logins_total", "result=\"failed\"", static_cast<double>(routes.logins_failed()));

  w.metric("convene_certificate_days_left", "gauge", "days until the certificate expires (negative: expired)");
  auto now = pki::current_time();
  for (auto& c : node_certificates(daemon.node()))
    if (c.info)
      w.value("convene_certificate_days_left", "use=\"" + c.use + "\",file=\"" + label_value(c.file) + "\"",
              static_cast<double>(pki::days_left(*c.info, now)));
  return w.text();
}

}  // namespace convene::web
