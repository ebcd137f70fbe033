#pragma once
// The XMPP cluster on this node, as the daemon and the `xmpp cluster` commands
// (xmpp_cluster_commands.cpp) see it: XmppClusterMembership does initialize,
// join, leave and remove; the command handlers only parse, ask and print.
//
// Configuration: the "cluster" object of the node's "xmpp" section
// (XmppClusterConfig in config_sections.h):
//   enabled  true|false      `xmpp cluster enable|disable`
//   trust    "bundle.pem"    file-area name of the bundle peers must chain to
//   member   true|false      this node is in a cluster (reopened at daemon start)
//   port     5224            the cluster (raft) port, on the first listen address
// Raft's data is DIR/state/xmpp-raft; the member id is DIR/state/node-id, a
// persistent random number that `xmpp reset` keeps, so a reset node that joins
// again is the same member (one entry, never a duplicate).
//
// Why in admin and not in the xmpp library: membership reads the node's
// configuration, interfaces and id (node/) and switches the Daemon's store between
// the local and the cluster one; the xmpp library links neither node nor admin.
// What it drives is xmpp::ClusterStore (xmpp/cluster_store.h).
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "admin/config_sections.h"
#include "admin/daemon.h"

namespace convene {

// At daemon start: opens the cluster store and attaches it when this node is a
// member. Nothing to do otherwise.
Status reopen_xmpp_cluster(Daemon& daemon);

// The cluster (raft) port and the XMPP client port, from the node's configuration.
unsigned xmpp_cluster_port(Node& node);
unsigned xmpp_client_port(Node& node);
// The cluster port's TLS files as configured: the `xmpp certs` key and
// certificate and the `xmpp cluster trust` bundle; an error says which is missing.
Result<tls::TlsFiles> xmpp_cluster_tls_files(Node& node);
// "127.0.1.1:5224" -> "127.0.1.1:5222": members are shown by their XMPP address,
// as CMS shows them, although raft knows them by their cluster address.
std::string shown_cluster_peer(Node& node, const std::string& cluster_address);

// This node's XMPP cluster membership. A short-lived view over the Daemon: make one
// per command. Every operation makes all of its checks before it changes anything;
// initialize, join, enable and disable hold the daemon's cluster mutex for their
// whole run, so two operators cannot initialize and join at once. Errors carry the
// message and hint the operator sees.
class XmppClusterMembership {
 public:
  // A line for the operator, said while an operation runs.
  using Say = std::function<void(const std::string&)>;

  explicit XmppClusterMembership(Daemon& daemon);

  bool in_cluster() const;

  // `xmpp cluster trust <bundle>`: the file must hold at least one certificate.
  Status set_trust(const std::string& bundle);
  Status enable();
  // Leaves the cluster if this node is in one (cleanly when it can; `say` tells
  // the operator either way), erases the raft data and disables clustering.
  Status disable(const Say& say);

  struct Initialized {
    std::string shown_address;  // this node, as `xmpp cluster status` shows it
    size_t users = 0;
    size_t callbridges = 0;
  };
  // Makes a one-node cluster here, carrying this node's data into it.
  Result<Initialized> initialize();

  struct Joined {
    size_t members = 0;
    std::vector<std::string> only_here;  // call bridges this node had that the cluster has not
  };
  // Joins the cluster `member` (as the operator typed it) belongs to. A join that
  // turns out to conflict (a call bridge whose secret differs from the cluster's)
  // is undone (this node leaves again) before the error is returned.
  Result<Joined> join(const std::string& member);

  // The state, term and peers, as `xmpp cluster status` prints them.
  void status(const Say& say) const;

  // A removal checked and ready to be confirmed: see check_remove.
  struct Removal {
    std::shared_ptr<xmpp::ClusterStore> cluster;  // the cluster it was checked against
    cluster::Member member;
    std::string shown;  // the member as `xmpp cluster status` shows it
  };
  // Every check of `xmpp cluster remove <member>` (in a cluster, a member, not this
  // node), made without the cluster mutex so the operator can be asked next.
  Result<Removal> check_remove(const std::string& member) const;
  // Removes the member (forwarded to the leader; it needs a majority). Refused if
  // this node's cluster changed since check_remove. Returns the members left, as
  // shown ("127.0.1.1:5222, 127.0.1.2:5222" or "none known").
  Result<std::string> remove(const Removal& removal);

 private:
  Daemon& daemon_;
  Node& node_;
};

}  // namespace convene
