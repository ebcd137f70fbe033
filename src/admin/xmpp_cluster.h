#pragma once
// The XMPP cluster on this node (issue 4), as the daemon and the `xmpp cluster`
// commands (xmpp_cluster_commands.cpp) see it.
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
#include "admin/config_sections.h"
#include "admin/daemon.h"

namespace convene {

// At daemon start: opens the cluster store and attaches it when this node is a
// member. Nothing to do otherwise.
Status reopen_xmpp_cluster(Daemon& daemon);

// The cluster (raft) port and the XMPP client port, from the node's configuration.
unsigned xmpp_cluster_port(Node& node);
unsigned xmpp_client_port(Node& node);
// "127.0.1.1:5224" -> "127.0.1.1:5222": members are shown by their XMPP address,
// as the seed does, although raft knows them by their cluster address.
std::string shown_cluster_peer(Node& node, const std::string& cluster_address);

struct CommandRequest;
// `xmpp cluster remove <node>` (xmpp_cluster_remove.cpp, its own file to keep the
// group file small).
Status remove_xmpp_cluster_member(CommandRequest& req);

}  // namespace convene
