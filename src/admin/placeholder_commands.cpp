// The seeds' commands whose subsystems are not built yet. They are registered with
// their real grammar so help, completion and usage are already right, and they say
// plainly that they are not implemented (no fake output). Each group moves to its
// own file (xmpp_commands.cpp, database_commands.cpp, backup_commands.cpp) as its
// subsystem lands.
#include "admin/command_registry.h"

namespace convene {

namespace {
void later(CommandRegistry& r, std::vector<std::string> words, std::string usage, std::string help,
           size_t min_args, size_t max_args) {
  r.add({std::move(words), std::move(usage), std::move(help), min_args, max_args, nullptr});
}
}  // namespace

void register_placeholder_commands(CommandRegistry& r) {
  // Seed 000: XMPP server and cluster.
  later(r, {"xmpp", "domain"}, "<domain>", "set the XMPP domain", 1, 1);
  later(r, {"xmpp", "listen"}, "<iface> [<iface>...]", "interfaces the XMPP server listens on", 1, kAnyNumber);
  later(r, {"xmpp", "certs"}, "<key> <cert> [<bundle>]", "the XMPP server's key, certificate and CA bundle", 2, 3);
  later(r, {"xmpp", "enable"}, "", "start the XMPP server", 0, 0);
  later(r, {"xmpp", "disable"}, "", "stop the XMPP server", 0, 0);
  later(r, {"xmpp", "status"}, "", "show the XMPP server's state", 0, 0);
  later(r, {"xmpp", "reset"}, "", "erase the XMPP configuration (asks first)", 0, 0);
  later(r, {"xmpp", "callbridge", "add"}, "<name>", "register a call bridge; prints its new secret", 1, 1);
  later(r, {"xmpp", "callbridge", "add-secret"}, "<name>", "register a call bridge with a secret you type", 1, 1);
  later(r, {"xmpp", "callbridge", "del"}, "<name>", "remove a call bridge", 1, 1);
  later(r, {"xmpp", "callbridge", "list"}, "", "list call bridges with domain and secret", 0, 0);
  later(r, {"xmpp", "cluster", "trust"}, "<bundle>", "certificates cluster peers must present", 1, 1);
  later(r, {"xmpp", "cluster", "enable"}, "", "enable clustering on this node", 0, 0);
  later(r, {"xmpp", "cluster", "disable"}, "", "leave the cluster and disable clustering", 0, 0);
  later(r, {"xmpp", "cluster", "initialize"}, "", "make a one-node cluster here", 0, 0);
  later(r, {"xmpp", "cluster", "join"}, "<node>", "join the cluster <node> belongs to", 1, 1);
  later(r, {"xmpp", "cluster", "status"}, "", "show the cluster's state and peers", 0, 0);
  // Seed 004: database cluster and backup.
  later(r, {"database", "cluster", "localnode"}, "<iface>", "interface the database cluster uses", 1, 1);
  later(r, {"database", "cluster", "certs"}, "<server-key> <server-cert> <client-key> <client-cert> <ca-cert>",
        "the database cluster's certificates", 5, 5);
  later(r, {"database", "cluster", "initialize"}, "", "make this node the master of a new cluster (asks first)", 0, 0);
  later(r, {"database", "cluster", "join"}, "<master-address>", "join the cluster of <master-address> (asks first)", 1, 1);
  later(r, {"database", "cluster", "remove"}, "", "leave the cluster, keep the data locally (asks first)", 0, 0);
  later(r, {"database", "cluster", "status"}, "", "show the database cluster's state", 0, 0);
  later(r, {"backup", "snapshot"}, "<name>", "save the node's whole state as <name>.bak", 1, 1);
  later(r, {"backup", "rollback"}, "<name>", "restore the node from <name>.bak (asks first)", 1, 1);
  later(r, {"backup", "list"}, "", "list the backups in the file area", 0, 0);
}

}  // namespace convene
