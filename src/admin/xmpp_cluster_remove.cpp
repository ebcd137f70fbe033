// `xmpp cluster remove <node>` (issue 4): takes a member out of the XMPP
// cluster, typically one that died for good, so that the majority is counted
// over the members that are left.
//
// The operator names the member as `xmpp cluster status` shows it (its XMPP
// address, "127.0.1.3:5222"), or by its IP alone; raft knows members by id and
// cluster address ("127.0.1.3:5224"), so the host is what is compared. Every
// check (in a cluster, a member, not this node) is made before the question is
// asked, so a refused command changes nothing and asks nothing.
#include <netdb.h>

#include <algorithm>

#include "admin/command_registry.h"
#include "admin/xmpp_cluster.h"
#include "util/endpoint.h"
#include "util/strings.h"

namespace convene {

namespace {

std::string members_text(Node& node, std::vector<cluster::Member> members) {
  std::sort(members.begin(), members.end(), [](auto& a, auto& b) { return a.address < b.address; });
  std::vector<std::string> shown;
  for (auto& m : members) shown.push_back(shown_cluster_peer(node, m.address));
  return shown.empty() ? "none known" : join(shown, ", ");
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
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  int rc = ::getaddrinfo(host.c_str(), nullptr, &hints, &res);
  if (rc != 0 || !res)
    return make_error("cannot find the node '" + text + "': " + gai_strerror(rc),
                      "Give the address as 'xmpp cluster status' shows it, e.g. 127.0.1.3:" +
                          std::to_string(xmpp_client_port(node)) + ".");
  char ip[NI_MAXHOST];
  rc = ::getnameinfo(res->ai_addr, res->ai_addrlen, ip, sizeof ip, nullptr, 0, NI_NUMERICHOST);
  ::freeaddrinfo(res);
  if (rc != 0) return make_error("cannot find the node '" + text + "'");
  return std::string(ip);
}

// The member `text` names, refusing this node itself and non-members.
Result<cluster::Member> member_to_remove(CommandRequest& req, xmpp::ClusterStore& cluster) {
  auto host = wanted_host(req.node, req.args[0]);
  if (!host) return host.error();
  auto s = cluster.consensus().status();
  if (s.removed)
    return make_error("this node was removed from the XMPP cluster: it cannot change the cluster any more",
                      "Run 'xmpp cluster remove " + req.args[0] + "' on a member of the cluster.");
  auto it = std::find_if(s.members.begin(), s.members.end(), [&](auto& m) { return host_of(m.address) == *host; });
  if (it == s.members.end())
    return make_error("'" + req.args[0] + "' is not a member of this XMPP cluster (members: " +
                          members_text(req.node, s.members) + ")",
                      "Give one of the members' addresses, as 'xmpp cluster status' shows them.");
  if (it->id == s.id)
    return make_error("'" + req.args[0] + "' is this node",
                      "To take this node out of the cluster, run 'xmpp cluster disable' here (a clean leave); "
                      "'xmpp cluster remove' is for other members, typically dead ones.");
  return *it;
}

}  // namespace

Status remove_xmpp_cluster_member(CommandRequest& req) {
  auto cluster = req.daemon.cluster_store();
  if (!cluster)
    return make_error("this node is not in an XMPP cluster: there is no member to remove",
                      "Run 'xmpp cluster remove' on a member of the cluster ('xmpp cluster status' there).");
  auto member = member_to_remove(req, *cluster);
  if (!member) return member.error();
  std::string shown = shown_cluster_peer(req.node, member->address);
  // Asked before the cluster lock is taken: an operator pondering the question
  // must not block the other `xmpp cluster` commands.
  CONVENE_TRY(confirm_or_cancel(
      req.io, "WARNING!!!\n"
              "Are you sure you wish to remove " + shown + " from the XMPP cluster? (Y/n)\n"
              "It no longer counts for the majority and gets no more data. To bring it back later,\n"
              "run 'xmpp cluster disable' then 'xmpp cluster join <member>' on it."));

  std::lock_guard lock(req.daemon.cluster_mutex());
  if (req.daemon.cluster_store() != cluster)
    return make_error("this node's cluster changed while you answered: nothing was removed",
                      "See 'xmpp cluster status', then run the command again.");
  // Forwarded to the leader; it needs a majority of the members (the one being
  // removed included in the count), so it fails without one.
  auto removed = cluster->consensus().remove(member->id).get();
  if (!removed)
    return make_error("could not remove " + shown + " from the XMPP cluster: " + removed.error().message,
                      "A removal needs a leader and a majority of the members up: see 'xmpp cluster status'. Start "
                      "the members that are down (or fix the network to them), then run it again.");
  auto left = cluster->consensus().status().members;
  std::erase_if(left, [&](auto& m) { return m.id == member->id; });
  req.io.print("Removed " + shown + " from the XMPP cluster; members now: " + members_text(req.node, left) + ".");
  req.io.print("If " + shown + " runs again, it serves no cluster data until you run 'xmpp cluster disable' and "
               "'xmpp cluster join <member>' there.");
  return ok_status();
}

}  // namespace convene
