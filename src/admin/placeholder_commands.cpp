// The seeds' commands whose subsystems are not built yet. They are registered with
// their real grammar so help, completion and usage are already right, and they say
// plainly that they are not implemented (no fake output). Each group moves to its
// own file (xmpp_commands.cpp, database_commands.cpp, backup_commands.cpp) as its
// subsystem lands.
#include "admin/command_registry.h"

namespace convene {

namespace {
[[maybe_unused]] void later(CommandRegistry& r, std::vector<std::string> words, std::string usage, std::string help,
           size_t min_args, size_t max_args) {
  r.add({std::move(words), std::move(usage), std::move(help), min_args, max_args, nullptr});
}
}  // namespace

void register_placeholder_commands(CommandRegistry& r) {
  // Nothing left unbuilt: the `xmpp cluster` commands are in xmpp_cluster_commands.cpp.
  (void)r;
}

}  // namespace convene
