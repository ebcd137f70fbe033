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
  // Seed 000: the XMPP cluster (issue 4); the rest of `xmpp` is in xmpp_commands.cpp.
  later(r, {"xmpp", "cluster", "trust"}, "<bundle>", "certificates cluster peers must present", 1, 1);
  later(r, {"xmpp", "cluster", "enable"}, "", "enable clustering on this node", 0, 0);
  later(r, {"xmpp", "cluster", "disable"}, "", "leave the cluster and disable clustering", 0, 0);
  later(r, {"xmpp", "cluster", "initialize"}, "", "make a one-node cluster here", 0, 0);
  later(r, {"xmpp", "cluster", "join"}, "<node>", "join the cluster <node> belongs to", 1, 1);
  later(r, {"xmpp", "cluster", "status"}, "", "show the cluster's state and peers", 0, 0);
}

}  // namespace convene
