// The `xmpp cluster` command group of seed 000 (steps 4, 6-8; issue 4): trust,
// enable, disable, initialize, join, status. admin/xmpp_cluster.h says where the
// configuration and the raft data live.
//
// The commands hold the daemon's cluster mutex for their whole run: two operators
// cannot initialize and join at once. Every check is made before anything
// changes; a join that turns out to conflict (a call bridge whose secret differs
// from the cluster's) is undone (this node leaves again) before the error is shown.
#include <netdb.h>

#include <algorithm>
#include <cstring>
#include <thread>

#include "admin/command_registry.h"
#include "admin/xmpp_cluster.h"
#include "node/node.h"
#include "node/node_id.h"
#include "pki/pem.h"
#include "util/endpoint.h"
#include "util/files.h"
#include "util/log.h"
#include "util/strings.h"
#include "xmpp/cluster_store.h"

namespace convene {

using nlohmann::json;
namespace fs = std::filesystem;

namespace {

json xmpp_section(Node& node) {
  json s = node.config().section("xmpp");
  return s.is_object() ? s : json::object();
}
json cluster_section(Node& node) {
  json s = xmpp_section(node);
  auto c = s.find("cluster");
  return c != s.end() && c->is_object() ? *c : json::object();
}
Status set_cluster(Node& node, const std::function<void(json&)>& change) {
  return node.config().update("xmpp", [&](json& s) {
    if (!s.is_object()) s = json::object();
    if (!s.contains("cluster") || !s["cluster"].is_object()) s["cluster"] = json::object();
    change(s["cluster"]);
    return ok_status();
  });
}

fs::path raft_dir(Node& node) { return node.paths().state() / "xmpp-raft"; }

// This node's cluster address: its first XMPP listen interface, on the cluster port.
Result<std::string> own_address(Node& node) {
  json s = xmpp_section(node);
  auto listen = s.value("listen", json::array());
  if (!listen.is_array() || listen.empty())
    return make_error("no XMPP interfaces set: the cluster listens on the first of them",
                      "Set them with 'xmpp listen <iface>'.");
  auto address = node.interfaces().address(listen[0].get<std::string>());
  if (!address) return address.error();
  return *address + ":" + std::to_string(xmpp_cluster_port(node));
}

Result<tls::TlsFiles> tls_files(Node& node) {
  json s = xmpp_section(node);
  std::string key = s.value("key", ""), cert = s.value("cert", "");
  std::string trust = cluster_section(node).value("trust", "");
  if (key.empty() || cert.empty())
    return make_error("no XMPP certificate: cluster peers present it to each other",
                      "Set it with 'xmpp certs <key> <cert> [<bundle>]'.");
  if (trust.empty())
    return make_error("no cluster trust bundle: this node would not know which peers to accept",
                      "Set it with 'xmpp cluster trust <bundle>' (the CA of the nodes' certificates, or the "
                      "certificates themselves).");
  auto k = node.paths().existing_file(key);
  if (!k) return k.error();
  auto c = node.paths().existing_file(cert);
  if (!c) return c.error();
  auto t = node.paths().existing_file(trust);
  if (!t) return t.error();
  return tls::TlsFiles{*k, *c, *t};
}

Result<std::shared_ptr<xmpp::ClusterStore>> open_cluster(Node& node, bool bootstrap) {
  auto id = node_id(node);
  if (!id) return id.error();
  auto address = own_address(node);
  if (!address) return address.error();
  auto files = tls_files(node);
  if (!files) return files.error();
  auto tls = tls::TlsContextSource::open(*files);
  if (!tls) return tls.error();
  xmpp::ClusterStoreConfig config;
  config.id = *id;
  config.address = *address;
  config.data_dir = raft_dir(node);
  config.tls = *tls;
  config.bootstrap = bootstrap;
  auto store = xmpp::ClusterStore::open(std::move(config));
  if (!store) return store.error();
  return std::shared_ptr<xmpp::ClusterStore>(std::move(*store));
}

Status erase_raft_dir(Node& node) {
  std::error_code ec;
  fs::remove_all(raft_dir(node), ec);
  if (ec)
    return make_error("cannot remove the old cluster data '" + raft_dir(node).string() + "': " + ec.message(),
                      "Check the node directory's permissions.");
  return ok_status();
}

Status require_enabled_not_member(Node& node, const std::string& what) {
  json c = cluster_section(node);
  if (!c.value("enabled", false))
    return make_error("XMPP clustering is not enabled on this node", "Run 'xmpp cluster enable' first, then " + what + ".");
  if (c.value("member", false))
    return make_error("this node is already in an XMPP cluster (see 'xmpp cluster status')",
                      "To move it to another cluster, leave this one first with 'xmpp cluster disable'.");
  return ok_status();
}

// "<ip>[:port]" or a name resolved to its first IPv4/IPv6 address.
Result<std::string> member_address(Node& node, const std::string& text) {
  std::string host = text, port = std::to_string(xmpp_cluster_port(node));
  // Several ':' without brackets: a bare IPv6 address, which has no port.
  if (std::count(text.begin(), text.end(), ':') <= 1 || text.starts_with('[')) {
    auto e = Endpoint::parse(text, static_cast<std::uint16_t>(xmpp_cluster_port(node)));
    if (!e)
      return make_error(ErrorCode::invalid_argument, "cannot find the cluster member '" + text + "': " + e.error().message,
                        "Give the IP address (or DNS name) of any node of the cluster, e.g. 'xmpp cluster join 10.0.0.1'.");
    host = e->host;
    port = std::to_string(e->port);
  }
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  int rc = ::getaddrinfo(host.c_str(), port.c_str(), &hints, &res);
  if (rc != 0 || !res)
    return make_error("cannot find the cluster member '" + text + "': " + gai_strerror(rc),
                      "Give the IP address (or DNS name) of any node of the cluster, e.g. 'xmpp cluster join 10.0.0.1'.");
  char ip[NI_MAXHOST];
  rc = ::getnameinfo(res->ai_addr, res->ai_addrlen, ip, sizeof ip, nullptr, 0, NI_NUMERICHOST);
  ::freeaddrinfo(res);
  if (rc != 0) return make_error("cannot find the cluster member '" + text + "'");
  return std::string(ip) + ":" + port;
}

// ---- commands ------------------------------------------------------------------------

Status trust(CommandRequest& req) {
  auto path = req.node.paths().existing_file(req.args[0]);
  if (!path) return path.error();
  auto certs = pki::load_certificates(*path);
  if (!certs) return certs.error();
  if (certs->empty())
    return make_error("'" + req.args[0] + "' holds no certificate",
                      "Give a PEM bundle: the CA that issued the nodes' certificates, or the nodes' certificates.");
  CONVENE_TRY(set_cluster(req.node, [&](json& c) { c["trust"] = req.args[0]; }));
  if (req.daemon.cluster_store())
    req.io.print("This node is in a cluster: the new bundle is used from the next start of the daemon.");
  return ok_status();
}

Status enable(CommandRequest& req) {
  std::lock_guard lock(req.daemon.cluster_mutex());
  return set_cluster(req.node, [](json& c) { c["enabled"] = true; });
}

Status disable(CommandRequest& req) {
  std::lock_guard lock(req.daemon.cluster_mutex());
  if (auto cluster = req.daemon.cluster_store()) {
    if (auto st = cluster->leave(); !st)
      req.io.print("WARNING: could not leave the cluster cleanly (" + st.error().message +
                   "); remove this node from the cluster on another member.");
    req.daemon.detach_cluster();
    req.io.print("Left the XMPP cluster: this node serves its own (local) data again.");
  }
  CONVENE_TRY(erase_raft_dir(req.node));
  return set_cluster(req.node, [](json& c) {
    c["enabled"] = false;
    c["member"] = false;
  });
}

Status wait_for_leader(xmpp::ClusterStore& cluster, std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (cluster.status().role != cluster::Role::leader) {
    if (std::chrono::steady_clock::now() > deadline)
      return make_error("the new one-node cluster did not elect this node in time");
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return ok_status();
}

Status initialize(CommandRequest& req) {
  std::lock_guard lock(req.daemon.cluster_mutex());
  CONVENE_TRY(require_enabled_not_member(req.node, "'xmpp cluster initialize'"));
  if (auto a = own_address(req.node); !a) return a.error();
  if (auto f = tls_files(req.node); !f) return f.error();
  auto state = xmpp::copy_state(req.daemon.local_store());
  if (!state) return state.error();
  CONVENE_TRY(erase_raft_dir(req.node));
  auto cluster = open_cluster(req.node, true);
  if (!cluster) return cluster.error();
  auto undo = [&](Error e) {
    (*cluster)->stop();
    (void)erase_raft_dir(req.node);
    return e;
  };
  if (auto st = wait_for_leader(**cluster, std::chrono::seconds(10)); !st) return undo(st.error());
  if (auto st = (*cluster)->load(*state); !st) return undo(st.error());
  req.daemon.attach_cluster(*cluster);
  CONVENE_TRY(set_cluster(req.node, [](json& c) { c["member"] = true; }));
  req.io.print("XMPP cluster initialized: one node (" + shown_cluster_peer(req.node, (*cluster)->status().address) +
               "), the leader, with this node's " + std::to_string(state->users().size()) + " users and " +
               std::to_string(state->callbridges().size()) + " call bridges.");
  return ok_status();
}

Status join_cluster(CommandRequest& req) {
  std::lock_guard lock(req.daemon.cluster_mutex());
  CONVENE_TRY(require_enabled_not_member(req.node, "'xmpp cluster join " + req.args[0] + "'"));
  auto self = own_address(req.node);
  if (!self) return self.error();
  if (auto f = tls_files(req.node); !f) return f.error();
  auto target = member_address(req.node, req.args[0]);
  if (!target) return target.error();
  if (*target == *self)
    return make_error("'" + req.args[0] + "' is this node",
                      "Give the address of a node that is in the cluster already (or make one here with "
                      "'xmpp cluster initialize').");
  auto local_bridges = req.daemon.local_store().callbridges();

  CONVENE_TRY(erase_raft_dir(req.node));
  auto cluster = open_cluster(req.node, false);
  if (!cluster) return cluster.error();
  auto undo = [&](Error e, bool leave) {
    if (leave) {
      if (auto st = (*cluster)->leave(); !st)
        logger("xmpp")->warn("cluster: could not leave again after a refused join: {}", st.error().message);
    }
    (*cluster)->stop();
    (void)erase_raft_dir(req.node);
    return e;
  };
  if (auto st = (*cluster)->join(*target); !st) {
    Error e = st.error();
    if (e.hint.empty())
      e.hint = "Check that " + req.args[0] + " is in an XMPP cluster ('xmpp cluster status' there), that its cluster "
               "port " + std::to_string(xmpp_cluster_port(req.node)) + " is reachable, and that each node's certificate "
               "is trusted by the other's 'xmpp cluster trust' bundle.";
    return undo(e, false);
  }
  // The cluster's call bridges replace this node's: a bridge known here with
  // another secret would be refused by every node after the join.
  std::vector<std::string> conflicts, missing;
  for (auto& mine : local_bridges) {
    auto theirs = (*cluster)->callbridge(mine.name);
    if (!theirs) missing.push_back(mine.name);
    else if (theirs->secret != mine.secret) conflicts.push_back(mine.name);
  }
  if (!conflicts.empty()) {
    std::string names = join(conflicts, ", ");
    return undo(make_error("call bridge " + names + " has a different secret on this node than in the cluster: "
                           "join refused, nothing was changed",
                           "Compare 'xmpp callbridge list' here and on " + req.args[0] + ". Remove the wrong secret "
                           "here with 'xmpp callbridge del " + conflicts[0] + "' and add the cluster's with "
                           "'xmpp callbridge add-secret " + conflicts[0] + "', then join again."),
                true);
  }
  req.daemon.attach_cluster(*cluster);
  CONVENE_TRY(set_cluster(req.node, [](json& c) { c["member"] = true; }));
  auto s = (*cluster)->status();
  req.io.print("Joined the XMPP cluster of " + req.args[0] + " (" + std::to_string(s.members.size()) +
               " nodes); this node now serves the cluster's data.");
  for (auto& name : missing)
    req.io.print("NOTE: call bridge " + name + " was only on this node and is not in the cluster: add it with "
                 "'xmpp callbridge add-secret " + name + "'.");
  return ok_status();
}

std::string age_text(std::chrono::milliseconds age) {
  if (age.count() < 10000) return std::to_string(age.count()) + " ms ago";
  return std::to_string(age.count() / 1000) + " s ago";
}

Status cluster_status(CommandRequest& req) {
  auto cluster = req.daemon.cluster_store();
  json c = cluster_section(req.node);
  if (!cluster) {
    if (c.value("member", false))
      req.io.print("State: UNAVAILABLE\nThis node is a cluster member but its cluster could not be opened: see the "
                   "log. Local data is served.");
    else if (c.value("enabled", false))
      req.io.print("State: NOT IN A CLUSTER\nClustering is enabled; make a cluster with 'xmpp cluster initialize' or "
                   "join one with 'xmpp cluster join <node>'.");
    else
      req.io.print("State: DISABLED\nXMPP clustering is not enabled on this node ('xmpp cluster enable').");
    auto& store = req.daemon.store();
    req.io.print("Users: " + std::to_string(store.users().size()) +
                 ", call bridges: " + std::to_string(store.callbridges().size()));
    return ok_status();
  }
  auto s = cluster->status();
  req.io.print(std::string("State: ") + cluster::role_name(s.role));
  req.io.print("Term: " + std::to_string(s.term));
  req.io.print("List of peers");
  auto members = s.members;
  std::sort(members.begin(), members.end(), [](auto& a, auto& b) { return a.address < b.address; });
  for (auto& m : members) {
    std::string line = shown_cluster_peer(req.node, m.address);
    if (m.id == s.leader_id) line += " (Leader)";
    if (m.id == s.id) line += " (this node)";
    else if (m.last_contact_age) line += " last keep-alive " + age_text(*m.last_contact_age);
    else line += " last keep-alive never";
    if (!m.voter) line += " (not voting yet)";
    req.io.print(line);
  }
  if (s.removed) req.io.print("This node was removed from the cluster: run 'xmpp cluster disable', then join again.");
  else if (s.leader_id == 0) {
    req.io.print("No leader known: this node cannot reach a majority of the cluster; writes are refused.");
    // Said in words an operator acts on: writes here fail (after the request
    // timeout) until the network to the other members is back.
    req.io.print("This node is cut off from the majority: writes made here (e.g. 'xmpp user add') fail until it "
                 "reaches the other members again; check the network to the peers listed above.");
  }
  return ok_status();
}

}  // namespace

unsigned xmpp_cluster_port(Node& node) { return cluster_section(node).value("port", kXmppClusterPort); }
unsigned xmpp_client_port(Node& node) { return xmpp_section(node).value("client-port", 5222u); }

std::string shown_cluster_peer(Node& node, const std::string& cluster_address) {
  return host_of(cluster_address) + ":" + std::to_string(xmpp_client_port(node));
}

Status reopen_xmpp_cluster(Daemon& daemon) {
  if (!cluster_section(daemon.node()).value("member", false)) return ok_status();
  auto cluster = open_cluster(daemon.node(), false);
  if (!cluster) return cluster.error();
  daemon.attach_cluster(*cluster);
  return ok_status();
}

void register_xmpp_cluster_commands(CommandRegistry& r) {
  auto add = [&](std::vector<std::string> words, std::string usage, std::string help, size_t min_args,
                 size_t max_args, CommandHandler handler) {
    r.add({std::move(words), std::move(usage), std::move(help), min_args, max_args, std::move(handler)});
  };
  add({"xmpp", "cluster", "trust"}, "<bundle>", "certificates cluster peers must present (CA or the peers' own)", 1, 1,
      trust);
  add({"xmpp", "cluster", "enable"}, "", "enable clustering on this node", 0, 0, enable);
  add({"xmpp", "cluster", "disable"}, "", "leave the cluster and disable clustering", 0, 0, disable);
  add({"xmpp", "cluster", "initialize"}, "", "make a one-node cluster here, keeping this node's data", 0, 0,
      initialize);
  add({"xmpp", "cluster", "join"}, "<node>", "join the cluster <node> belongs to (its data replaces this node's)", 1,
      1, join_cluster);
  add({"xmpp", "cluster", "status"}, "", "show the cluster's state, term and peers", 0, 0, cluster_status);
  add({"xmpp", "cluster", "remove"}, "<node>", "remove another member (e.g. a dead one) from the cluster", 1, 1,
      remove_xmpp_cluster_member);
}

}  // namespace convene
