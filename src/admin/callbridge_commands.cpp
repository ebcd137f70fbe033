// The `callbridge` command group: the call bridge that convened runs on
// this node, set as CMS Web Admin > Configuration > General sets it (unique name,
// domain, optional server address, shared secret) plus a DNS server override and
// the trust for TLS to the servers, then
// enabled, disabled and shown.
//
// Settings go to the node's "callbridge" section, the secret to a 0600 file
// (callbridge_settings.h). Every handler checks all of its input before changing
// anything. A change while the call bridge is enabled restarts it, so what runs is
// always what `callbridge status` shows as configured.
#include <mutex>

#include "admin/callbridge_holder.h"
#include "admin/callbridge_settings.h"
#include "admin/command_registry.h"
#include "admin/daemon.h"
#include "dbcluster/replication.h"
#include "node/node.h"
#include "pki/pem.h"
#include "util/files.h"
#include "util/strings.h"
#include "xmpp/xmpp_state.h"
#include "xmpp_core/jid.h"

namespace convene {

using nlohmann::json;

namespace {

std::string kv(const std::string& key, const std::string& value, size_t width = 20) {
  return key_value_line(key, value, width);
}

CallbridgeConfig configured(CommandRequest& req) { return callbridge_config(req.node.config()); }

bool enabled(CommandRequest& req) { return configured(req).enabled; }

// Restarts a running call bridge so that it uses the new setting.
Status apply(CommandRequest& req) {
  if (!enabled(req)) return ok_status();
  if (auto st = start_callbridge(req.daemon); !st)
    return make_error("the setting is saved, but the call bridge could not be restarted: " + st.error().message,
                      st.error().hint);
  req.io.print("The call bridge was restarted with the new setting.");
  return ok_status();
}

Status set_key(CommandRequest& req, const std::string& key, const std::optional<std::string>& value) {
  // One at a time (with the database follower): no interleaving between checking the settings and (re)starting.
  std::lock_guard lock(req.daemon.callbridge_mutex());
  CONVENE_TRY(req.node.config().update("callbridge", [&](json& s) {
    if (!s.is_object()) s = json::object();
    if (value)
      s[key] = *value;
    else
      s.erase(key);
    return ok_status();
  }));
  return apply(req);
}

Status name(CommandRequest& req) {
  auto prepared = xmpp::prepare_callbridge_name(req.args[0]);
  if (!prepared) return prepared.error();
  return set_key(req, "name", *prepared);
}

Status domain(CommandRequest& req) {
  auto prepared = xmpp::prepare_domainpart(req.args[0]);
  if (!prepared)
    return make_error("invalid domain '" + req.args[0] + "': " + prepared.error().message,
                      "Give the XMPP domain, e.g. 'callbridge domain tptac9.com'.");
  return set_key(req, "domain", *prepared);
}

Status server(CommandRequest& req) {
  if (req.args[0] == "none") return set_key(req, "server", std::nullopt);
  auto endpoint = parse_ip_endpoint(req.args[0], 5223, "XMPP server address");
  if (!endpoint) return endpoint.error();
  return set_key(req, "server", *endpoint);
}

Status dns(CommandRequest& req) {
  if (req.args[0] == "none") return set_key(req, "dns", std::nullopt);
  auto endpoint = parse_ip_endpoint(req.args[0], 53, "DNS server address");
  if (!endpoint) return endpoint.error();
  return set_key(req, "dns", *endpoint);
}

// TLS to the component port: the bridge verifies the XMPP servers' certificates
// against this bundle (a CA, or the servers' own certificates, as `xmpp cluster
// trust` takes them); they must name the call bridge's domain.
Status trust(CommandRequest& req) {
  if (req.args[0] == "none") return set_key(req, "trust", std::nullopt);
  auto path = req.node.paths().existing_file(req.args[0]);
  if (!path) return path.error();
  auto certs = pki::load_certificates(*path);
  if (!certs)
    return make_error("cannot use '" + req.args[0] + "' as the call bridge's trust: " + certs.error().message,
                      "Upload the CA certificate (or the XMPP servers' certificates) as PEM to the file area,\n"
                      "then run 'callbridge trust <bundle>'.");
  return set_key(req, "trust", req.args[0]);
}

Status secret(CommandRequest& req) {
  auto typed = req.io.prompt_secret("Enter callbridge secret");
  if (!typed) return make_error("no secret given: nothing was changed");
  CONVENE_TRY(check_callbridge_secret(*typed));
  std::lock_guard lock(req.daemon.callbridge_mutex());
  auto files = callbridge_files(req.node.paths());
  CONVENE_TRY(make_dirs(files.dir, true));
  CONVENE_TRY(write_file_atomic(files.secret, *typed + "\n", 0600));
  req.io.print("Call bridge secret set");
  return apply(req);
}

Status enable(CommandRequest& req) {
  std::lock_guard lock(req.daemon.callbridge_mutex());
  CONVENE_TRY(start_callbridge(req.daemon));
  if (auto st = req.node.config().update("callbridge", [](json& s) {
        if (!s.is_object()) s = json::object();
        s["enabled"] = true;
        return ok_status();
      });
      !st) {
    req.daemon.callbridge().stop();  // not recorded as enabled: do not leave it running
    return st;
  }
  req.io.print("Call bridge enabled (pid " + std::to_string(req.daemon.callbridge().state().pid) + ")");
  return ok_status();
}

Status disable(CommandRequest& req) {
  std::lock_guard lock(req.daemon.callbridge_mutex());
  CONVENE_TRY(req.node.config().update("callbridge", [](json& s) {
    if (!s.is_object()) s = json::object();
    s["enabled"] = false;
    return ok_status();
  }));
  req.daemon.callbridge().stop();
  req.io.print("Call bridge disabled");
  return ok_status();
}

std::string since(const json& status) {
  std::string t = status.value("since", "");
  return t.empty() ? "" : " since " + t;
}

// "PostgreSQL (cluster of 3 nodes), master 10.0.0.1:5432", or why the master is unknown.
std::string spaces_database_line(const dbcluster::ClusterView& view) {
  std::size_t n = view.members.size();
  std::string text = "PostgreSQL (cluster of " + std::to_string(n) + (n == 1 ? " node" : " nodes") + ")";
  if (!view.master.empty()) return text + ", master " + view.master + ":" + std::to_string(dbcluster::kPort);
  return text + ", master unknown (" + view.master_unknown + ")";
}

// The child's own report (callbridge/status.h) as key : value lines.
void print_link(CommandRequest& req, const json& st) {
  auto line = [&](const std::string& k, const std::string& v) { req.io.print(kv(k, v)); };
  std::string state = st.value("state", "");
  std::string cause = st.value("cause", "");
  if (state == "connected") {
    std::string server = st.value("server", ""), address = st.value("server_address", "");
    line("Connection", "connected to " + server + (address.empty() || address == server ? "" : " (" + address + ")") +
                           since(st));
  } else if (state == "failed") {
    std::string what = cause == "dns"              ? "DNS lookup failed"
                       : cause == "authentication" ? "authentication failure (secret rejected)"
                       : cause == "unreachable"    ? "unreachable"
                                                   : "configuration error";
    line("Connection", "failed" + since(st) + ": " + what);
    line("Cause", st.value("message", ""));
    if (cause == "dns") {
      line("DNS record", st.value("dns_name", ""));
      line("DNS error", st.value("dns_error", ""));
    }
    for (auto& a : st.value("tried", json::array())) {
      std::string address = a.value("address", "");
      std::string target = a.value("target", "");
      req.io.print("  tried " + target + (address.empty() || address == target ? "" : " (" + address + ")") + ": " +
                   a.value("error", ""));
    }
  } else {
    line("Connection", state.empty() ? "unknown" : state + (st.value("message", "").empty() ? "" : ": " + st.value("message", "")));
  }
  if (st.contains("last_loss")) line("Last connection lost", st.value("last_loss", ""));
  line("Connections", std::to_string(st.value("connections", 0)));
  line("Spaces", std::to_string(st.value("spaces", json::array()).size()) + " (" +
                     std::to_string(st.value("occupants", 0)) + " occupants)");
  // Added after the lines operators' scripts read: where the spaces are kept.
  json db = st.value("database", json::object());
  if (db.is_object() && !db.value("kind", "").empty()) {
    std::string text = db.value("kind", "") + " (" + db.value("where", "") + ")";
    if (!db.value("server", "").empty()) text += ", master " + db.value("server", "");
    // The cluster's size and master as this node's agent sees them now: the call
    // bridge's own report counts the hosts of the connection string it started
    // with and names the server it last reached, both stale after a join or a
    // failover.
    auto* agent = req.daemon.database_if_open();
    if (db.value("kind", "") == "PostgreSQL" && agent && agent->in_cluster())
      if (auto view = agent->cluster_view()) text = spaces_database_line(*view);
    line("Spaces database", text);
    if (!db.value("problem", "").empty()) line("Spaces database error", db.value("problem", ""));
  }
}

// Added after every other line: which instance serves the name now, and the
// standbys this node runs for the cluster's other bridges (callbridge_holder.h).
void print_takeover(CommandRequest& req, const CallbridgeConfig& c) {
  auto line = [&](const std::string& k, const std::string& v) { req.io.print(kv(k, v)); };
  if (!c.name.empty()) line("Name held by", describe_holder(req.daemon, c.name, c.domain));
  auto standbys = req.daemon.standbys().views();
  if (standbys.empty()) {
    line("Standbys", req.daemon.cluster_store() ? "none on this node" : "none on this node (not in an XMPP cluster)");
    return;
  }
  std::string names;
  for (auto& v : standbys) names += (names.empty() ? "" : ", ") + v.name;
  line("Standbys", std::to_string(standbys.size()) + " on this node (" + names + ")");
  for (auto& v : standbys) line("  " + v.name, describe_standby(req.daemon, v.name));
}

void print_process_and_link(CommandRequest& req, const CallbridgeConfig& c);

Status status(CommandRequest& req) {
  CallbridgeConfig c = configured(req);
  print_process_and_link(req, c);
  print_takeover(req, c);
  return ok_status();
}

void print_process_and_link(CommandRequest& req, const CallbridgeConfig& c) {
  auto files = callbridge_files(req.node.paths());
  auto proc = req.daemon.callbridge().state();
  auto line = [&](const std::string& k, const std::string& v) { req.io.print(kv(k, v)); };
  bool on = c.enabled;

  std::string state = on ? "Enabled" : "Disabled";
  if (proc.pid)
    state += ", running";
  else if (on)
    state += ", NOT RUNNING";
  line("Status", state);
  const std::string &name = c.name, &domain = c.domain;
  line("Name", name.empty() ? "(not set: use 'callbridge name <name>')" : name);
  line("Domain", domain.empty() ? "(not set: use 'callbridge domain <domain>')" : domain);
  line("Server", c.server ? *c.server
                                      : "none (DNS SRV _xmpp-component._tcp." + (domain.empty() ? "<domain>" : domain) + ")");
  line("DNS server", c.dns ? *c.dns : "none (the system's resolver)");
  std::error_code ec;
  line("Secret", std::filesystem::is_regular_file(files.secret, ec) ? "set" : "not set (use 'callbridge secret')");
  line("TLS", c.trust ? "on, servers verified with " + *c.trust : "off (use 'callbridge trust <bundle>')");
  if (proc.supervising || proc.pid) {
    line("Process", proc.pid ? "pid " + std::to_string(proc.pid) : "not running, restarting");
    line("Restarts", std::to_string(proc.restarts));
    if (!proc.last_exit.empty()) line("Last exit", proc.last_exit);
    if (!proc.start_error.empty()) line("Start error", proc.start_error);
  } else if (on) {
    // Enabled but not supervised: the start at daemon start-up failed (logged).
    auto launch = callbridge_launch_for(req.node.paths(), c);
    line("Process", "not running: " + (launch ? std::string("see ") + req.node.paths().logs().string() + "/convened.log"
                                              : launch.error().message));
    if (!launch && !launch.error().hint.empty()) req.io.print(launch.error().hint);
  }
  if (!proc.pid) return;
  // Only a running process's report: the supervisor removes the file before each start.
  auto text = read_file(files.status);
  json st = text ? json::parse(*text, nullptr, false) : json();
  if (!st.is_object()) {
    line("Connection", "starting (no report from the call bridge yet)");
    return;
  }
  print_link(req, st);
}

}  // namespace

void register_callbridge_commands(CommandRegistry& r) {
  auto add = [&](std::vector<std::string> words, std::string usage, std::string help, size_t min_args,
                 size_t max_args, CommandHandler handler) {
    r.add({std::move(words), std::move(usage), std::move(help), min_args, max_args, std::move(handler)});
  };
  add({"callbridge", "name"}, "<name>", "the call bridge's unique name, without the domain (e.g. cb1)", 1, 1, name);
  add({"callbridge", "domain"}, "<domain>", "the XMPP domain the call bridge joins", 1, 1, domain);
  add({"callbridge", "server"}, "<ip[:port]>|none", "a fixed XMPP server (port 5223 unless given); none: DNS SRV", 1,
      1, server);
  add({"callbridge", "dns"}, "<ip[:port]>|none", "a DNS server to ask instead of the system's resolver", 1, 1, dns);
  add({"callbridge", "trust"}, "<bundle>|none",
      "connect to the XMPP servers with TLS, verifying them with this bundle; none: plain TCP", 1, 1, trust);
  add({"callbridge", "secret"}, "", "the call bridge's shared secret (asks for it)", 0, 0, secret);
  add({"callbridge", "enable"}, "", "run the call bridge on this node (restarts it if it runs)", 0, 0, enable);
  add({"callbridge", "disable"}, "", "stop the call bridge on this node", 0, 0, disable);
  add({"callbridge", "status"}, "", "settings, process and XMPP connection of the call bridge", 0, 0, status);
}

}  // namespace convene
