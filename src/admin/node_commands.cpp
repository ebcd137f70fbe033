// Commands about the node itself.
#include "admin/command_registry.h"
#include "node/node.h"

namespace convene {

void register_node_commands(CommandRegistry& r) {
  r.add({{"iface", "list"}, "", "the node's interfaces and their addresses", 0, 0, [](CommandRequest& req) {
           const auto& all = req.node.interfaces().all();
           if (all.empty()) req.io.print("No interfaces. Start convened with --iface a=<ADDRESS>.");
           for (auto& [name, address] : all) req.io.print(name + " : " + address);
           return ok_status();
         }});
}

}  // namespace convene
