#include "admin/xmpp_cluster.h"

#include <netdb.h>

#include <algorithm>
#include <thread>

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

XmppConfig config_of(Node& node) { return xmpp_config(node.config()); }

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
  auto config = config_of(node);
  if (config.listen.empty())
    return make_error(ErrorCode::failed_precondition, "no XMPP interfaces set: the cluster listens on the first of them",
                      "Set them with 'xmpp listen <iface>'.");
  auto address = node.interfaces().address(config.listen[0]);
  if (!address) return address.error();
  return *address + ":" + std::to_string(config.cluster.port);
}

Result<tls::TlsFiles> tls_files(Node& node) {
  auto config = config_of(node);
  if (config.key.empty() || config.cert.empty())
    return make_error(ErrorCode::failed_precondition, "no XMPP certificate: cluster peers present it to each other",
                      "Set it with 'xmpp certs <key> <cert> [<bundle>]'.");
  if (config.cluster.trust.empty())
    return make_error(ErrorCode::failed_precondition,
                      "no cluster trust bundle: this node would not know which peers to accept",
                      "Set it with 'xmpp cluster trust <bundle>' (the CA of the nodes' certificates, or the "
                      "certificates themselves).");
  auto k = node.paths().existing_file(config.key);
  if (!k) return k.error();
  auto c = node.paths().existing_file(config.cert);
  if (!c) return c.error();
  auto t = node.paths().existing_file(config.cluster.trust);
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
  auto c = config_of(node).cluster;
  if (!c.enabled)
    return make_error(ErrorCode::failed_precondition, "XMPP clustering is not enabled on this node",
                      "Run 'xmpp cluster enable' first, then " + what + ".");
  if (c.member)
    return make_error(ErrorCode::failed_precondition,
                      "this node is already in an XMPP cluster (see 'xmpp cluster status')",
                      "To move it to another cluster, leave this one first with 'xmpp cluster disable'.");
  return ok_status();
}

// The first IPv4/IPv6 address of `host` (an IP or a name), numeric.
Result<std::string> resolve_numeric(const std::string& host, const char* port) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  int rc = ::getaddrinfo(host.c_str(), port, &hints, &res);
  if (rc != 0 || !res) return make_error(ErrorCode::not_found, gai_strerror(rc));
  char ip[NI_MAXHOST];
  rc = ::getnameinfo(res->ai_addr, res->ai_addrlen, ip, sizeof ip, nullptr, 0, NI_NUMERICHOST);
  ::freeaddrinfo(res);
  if (rc != 0) return make_error(ErrorCode::not_found, "");
  return std::string(ip);
}

// "<ip>[:port]" or a name resolved to its first IPv4/IPv6 address.
Result<std::string> member_address(Node& node, const std::string& text) {
  std::string hint =
      "Give the IP address (or DNS name) of any node of the cluster, e.g. 'xmpp cluster join 10.0.0.1'.";
  std::string host = text, port = std::to_string(xmpp_cluster_port(node));
  // Several ':' without brackets: a bare IPv6 address, which has no port.
  if (std::count(text.begin(), text.end(), ':') <= 1 || text.starts_with('[')) {
    auto e = Endpoint::parse(text, static_cast<std::uint16_t>(xmpp_cluster_port(node)));
    if (!e)
      return make_error(ErrorCode::invalid_argument,
                        "cannot find the cluster member '" + text + "': " + e.error().message, hint);
    host = e->host;
    port = std::to_string(e->port);
  }
  auto ip = resolve_numeric(host, port.c_str());
  if (!ip && !ip.error().message.empty())
    return make_error(ErrorCode::not_found, "cannot find the cluster member '" + text + "': " + ip.error().message,
                      hint);
  if (!ip) return make_error(ErrorCode::not_found, "cannot find the cluster member '" + text + "'");
  return *ip + ":" + port;
}

// "<ip>[:port]" or a name, to the IP a member's address would hold. The port may be
// the client port (as status shows it) or the cluster port; anything else is
// probably a typo for another node.
Result<std::string> wanted_host(Node& node, const std::string& text) {
  std::string hint = "Give the address as 'xmpp cluster status' shows it (e.g. 127.0.1.3:" +
                     std::to_string(xmpp_client_port(node)) + "), or its IP alone.";
  std::string host = text;
  // Several ':' without brackets: a bare IPv6 address, which has no port.
  if (std::count(text.begin(), text.end(), ':') <= 1 || text.starts_with('[')) {
    auto e = Endpoint::parse(text, 0);
    if (!e) return make_error(ErrorCode::invalid_argument, "'" + text + "': " + e.error().message, hint);
    host = e->host;
    if (e->port != 0 && e->port != xmpp_client_port(node) && e->port != xmpp_cluster_port(node))
      return make_error(ErrorCode::invalid_argument,
                        "'" + text + "' names port " + std::to_string(e->port) +
                            ", which is not an XMPP cluster member's port",
                        hint);
  }
  auto ip = resolve_numeric(host, nullptr);
  if (!ip && !ip.error().message.empty())
    return make_error(ErrorCode::not_found, "cannot find the node '" + text + "': " + ip.error().message,
                      "Give the address as 'xmpp cluster status' shows it, e.g. 127.0.1.3:" +
                          std::to_string(xmpp_client_port(node)) + ".");
  if (!ip) return make_error(ErrorCode::not_found, "cannot find the node '" + text + "'");
  return *ip;
}

std::string members_text(Node& node, std::vector<cluster::Member> members) {
  std::sort(members.begin(), members.end(), [](auto& a, auto& b) { return a.address < b.address; });
  std::vector<std::string> shown;
  for (auto& m : members) shown.push_back(shown_cluster_peer(node, m.address));
  return shown.empty() ? "none known" : join(shown, ", ");
}

Status wait_for_leader(xmpp::ClusterStore& cluster, std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (cluster.status().role != cluster::Role::leader) {
    if (std::chrono::steady_clock::now() > deadline)
      return make_error(ErrorCode::deadline_exceeded, "the new one-node cluster did not elect this node in time");
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return ok_status();
}

std::string age_text(std::chrono::milliseconds age) {
  if (age.count() < 10000) return std::to_string(age.count()) + " ms ago";
  return std::to_string(age.count() / 1000) + " s ago";
}

}  // namespace

Result<tls::TlsFiles> xmpp_cluster_tls_files(Node& node) { return tls_files(node); }

unsigned xmpp_cluster_port(Node& node) { return config_of(node).cluster.port; }
unsigned xmpp_client_port(Node& node) { return config_of(node).client_port; }

std::string shown_cluster_peer(Node& node, const std::string& cluster_address) {
  return host_of(cluster_address) + ":" + std::to_string(xmpp_client_port(node));
}

Status reopen_xmpp_cluster(Daemon& daemon) {
  if (!config_of(daemon.node()).cluster.member) return ok_status();
  auto cluster = open_cluster(daemon.node(), false);
  if (!cluster) return cluster.error();
  daemon.attach_cluster(*cluster);
  return ok_status();
}

XmppClusterMembership::XmppClusterMembership(Daemon& daemon) : daemon_(daemon), node_(daemon.node()) {}

bool XmppClusterMembership::in_cluster() const { return daemon_.cluster_store() != nullptr; }

Status XmppClusterMembership::set_trust(const std::string& bundle) {
  auto path = node_.paths().existing_file(bundle);
  if (!path) return path.error();
  auto certs = pki::load_certificates(*path);
  if (!certs) return certs.error();
  if (certs->empty())
    return make_error(ErrorCode::invalid_argument, "'" + bundle + "' holds no certificate",
                      "Give a PEM bundle: the CA that issued the nodes' certificates, or the nodes' certificates.");
  return set_cluster(node_, [&](json& c) { c["trust"] = bundle; });
}

Status XmppClusterMembership::enable() {
  std::lock_guard lock(daemon_.cluster_mutex());
  return set_cluster(node_, [](json& c) { c["enabled"] = true; });
}

Status XmppClusterMembership::disable(const Say& say) {
  std::lock_guard lock(daemon_.cluster_mutex());
  if (auto cluster = daemon_.cluster_store()) {
    if (auto st = cluster->leave(); !st)
      say("WARNING: could not leave the cluster cleanly (" + st.error().message +
          "); remove this node from the cluster on another member.");
    daemon_.detach_cluster();
    say("Left the XMPP cluster: this node serves its own (local) data again.");
  }
  CONVENE_TRY(erase_raft_dir(node_));
  return set_cluster(node_, [](json& c) {
    c["enabled"] = false;
    c["member"] = false;
  });
}

Result<XmppClusterMembership::Initialized> XmppClusterMembership::initialize() {
  std::lock_guard lock(daemon_.cluster_mutex());
  CONVENE_TRY(require_enabled_not_member(node_, "'xmpp cluster initialize'"));
  if (auto a = own_address(node_); !a) return a.error();
  if (auto f = tls_files(node_); !f) return f.error();
  auto state = xmpp::copy_state(daemon_.local_store());
  if (!state) return state.error();
  CONVENE_TRY(erase_raft_dir(node_));
  auto cluster = open_cluster(node_, true);
  if (!cluster) return cluster.error();
  auto undo = [&](Error e) {
    (*cluster)->stop();
    (void)erase_raft_dir(node_);
    return e;
  };
  if (auto st = wait_for_leader(**cluster, std::chrono::seconds(10)); !st) return undo(st.error());
  if (auto st = (*cluster)->load(*state); !st) return undo(st.error());
  daemon_.attach_cluster(*cluster);
  CONVENE_TRY(set_cluster(node_, [](json& c) { c["member"] = true; }));
  return Initialized{shown_cluster_peer(node_, (*cluster)->status().address), state->users().size(),
                     state->callbridges().size()};
}

Result<XmppClusterMembership::Joined> XmppClusterMembership::join(const std::string& member) {
  std::lock_guard lock(daemon_.cluster_mutex());
  CONVENE_TRY(require_enabled_not_member(node_, "'xmpp cluster join " + member + "'"));
  auto self = own_address(node_);
  if (!self) return self.error();
  if (auto f = tls_files(node_); !f) return f.error();
  auto target = member_address(node_, member);
  if (!target) return target.error();
  if (*target == *self)
    return make_error(ErrorCode::invalid_argument, "'" + member + "' is this node",
                      "Give the address of a node that is in the cluster already (or make one here with "
                      "'xmpp cluster initialize').");
  auto local_bridges = daemon_.local_store().callbridges();

  CONVENE_TRY(erase_raft_dir(node_));
  auto cluster = open_cluster(node_, false);
  if (!cluster) return cluster.error();
  auto undo = [&](Error e, bool leave) {
    if (leave) {
      if (auto st = (*cluster)->leave(); !st)
        logger("xmpp")->warn("cluster: could not leave again after a refused join: {}", st.error().message);
    }
    (*cluster)->stop();
    (void)erase_raft_dir(node_);
    return e;
  };
  if (auto st = (*cluster)->join(*target); !st) {
    Error e = st.error();
    if (e.hint.empty())
      e.hint = "Check that " + member + " is in an XMPP cluster ('xmpp cluster status' there), that its cluster "
               "port " + std::to_string(xmpp_cluster_port(node_)) + " is reachable, and that each node's certificate "
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
    std::string names = convene::join(conflicts, ", ");
    return undo(make_error(ErrorCode::failed_precondition,
                           "call bridge " + names + " has a different secret on this node than in the cluster: "
                           "join refused, nothing was changed",
                           "Compare 'xmpp callbridge list' here and on " + member + ". Remove the wrong secret "
                           "here with 'xmpp callbridge del " + conflicts[0] + "' and add the cluster's with "
                           "'xmpp callbridge add-secret " + conflicts[0] + "', then join again."),
                true);
  }
  daemon_.attach_cluster(*cluster);
  CONVENE_TRY(set_cluster(node_, [](json& c) { c["member"] = true; }));
  return Joined{(*cluster)->status().members.size(), std::move(missing)};
}

void XmppClusterMembership::status(const Say& say) const {
  auto cluster = daemon_.cluster_store();
  if (!cluster) {
    auto c = config_of(node_).cluster;
    if (c.member)
      say("State: UNAVAILABLE\nThis node is a cluster member but its cluster could not be opened: see the "
          "log. Local data is served.");
    else if (c.enabled)
      say("State: NOT IN A CLUSTER\nClustering is enabled; make a cluster with 'xmpp cluster initialize' or "
          "join one with 'xmpp cluster join <node>'.");
    else
      say("State: DISABLED\nXMPP clustering is not enabled on this node ('xmpp cluster enable').");
    auto& store = daemon_.store();
    say("Users: " + std::to_string(store.users().size()) +
        ", call bridges: " + std::to_string(store.callbridges().size()));
    return;
  }
  auto s = cluster->status();
  say(std::string("State: ") + cluster::role_name(s.role));
  say("Term: " + std::to_string(s.term));
  say("List of peers");
  auto members = s.members;
  std::sort(members.begin(), members.end(), [](auto& a, auto& b) { return a.address < b.address; });
  for (auto& m : members) {
    std::string line = shown_cluster_peer(node_, m.address);
    if (m.id == s.leader_id) line += " (Leader)";
    if (m.id == s.id) line += " (this node)";
    else if (m.last_contact_age) line += " last keep-alive " + age_text(*m.last_contact_age);
    else line += " last keep-alive never";
    if (!m.voter) line += " (not voting yet)";
    say(line);
  }
  if (s.removed) say("This node was removed from the cluster: run 'xmpp cluster disable', then join again.");
  else if (s.leader_id == 0) {
    say("No leader known: this node cannot reach a majority of the cluster; writes are refused.");
    // Said in words an operator acts on: writes here fail (after the request
    // timeout) until the network to the other members is back.
    say("This node is cut off from the majority: writes made here (e.g. 'xmpp user add') fail until it "
        "reaches the other members again; check the network to the peers listed above.");
  }
}

Result<XmppClusterMembership::Removal> XmppClusterMembership::check_remove(const std::string& member) const {
  auto cluster = daemon_.cluster_store();
  if (!cluster)
    return make_error(ErrorCode::failed_precondition,
                      "this node is not in an XMPP cluster: there is no member to remove",
                      "Run 'xmpp cluster remove' on a member of the cluster ('xmpp cluster status' there).");
  auto host = wanted_host(node_, member);
  if (!host) return host.error();
  auto s = cluster->consensus().status();
  if (s.removed)
    return make_error(ErrorCode::failed_precondition,
                      "this node was removed from the XMPP cluster: it cannot change the cluster any more",
                      "Run 'xmpp cluster remove " + member + "' on a member of the cluster.");
  auto it = std::find_if(s.members.begin(), s.members.end(), [&](auto& m) { return host_of(m.address) == *host; });
  if (it == s.members.end())
    return make_error(ErrorCode::not_found,
                      "'" + member + "' is not a member of this XMPP cluster (members: " +
                          members_text(node_, s.members) + ")",
                      "Give one of the members' addresses, as 'xmpp cluster status' shows them.");
  if (it->id == s.id)
    return make_error(ErrorCode::invalid_argument, "'" + member + "' is this node",
                      "To take this node out of the cluster, run 'xmpp cluster disable' here (a clean leave); "
                      "'xmpp cluster remove' is for other members, typically dead ones.");
  return Removal{cluster, *it, shown_cluster_peer(node_, it->address)};
}

Result<std::string> XmppClusterMembership::remove(const Removal& removal) {
  std::lock_guard lock(daemon_.cluster_mutex());
  if (daemon_.cluster_store() != removal.cluster)
    return make_error(ErrorCode::aborted, "this node's cluster changed while you answered: nothing was removed",
                      "See 'xmpp cluster status', then run the command again.");
  // Forwarded to the leader; it needs a majority of the members (the one being
  // removed included in the count), so it fails without one.
  auto removed = removal.cluster->consensus().remove(removal.member.id).get();
  if (!removed)
    return make_error(removed.code(),
                      "could not remove " + removal.shown + " from the XMPP cluster: " + removed.error().message,
                      "A removal needs a leader and a majority of the members up: see 'xmpp cluster status'. Start "
                      "the members that are down (or fix the network to them), then run it again.");
  auto left = removal.cluster->consensus().status().members;
  std::erase_if(left, [&](auto& m) { return m.id == removal.member.id; });
  return members_text(node_, left);
}

}  // namespace convene
