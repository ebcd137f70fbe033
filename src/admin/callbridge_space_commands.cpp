// `callbridge space list|occupants|add|name|delete`: the operator's view of the meeting spaces.
//
// One model with the clients': these commands change the spaces' store (the
// call bridge's SQLite file on this node, or the database cluster's tables when
// the node is in one, through the same SpaceStore the bridge uses), and the running
// bridge follows the store (callbridge/spaces.h): a space added here is one clients
// can join and see in disco#items; a space deleted here is destroyed for its
// occupants, who get XEP-0045's destroy presence. A space a client created is
// listed here with its configured name and owners
// (admin/callbridge_spaces.h reads them, for the web admin too).
#include <algorithm>

#include "admin/callbridge_spaces.h"
#include "admin/command_registry.h"
#include "admin/config_sections.h"
#include "admin/conversation.h"
#include "callbridge/room_settings.h"
#include "node/node.h"

namespace convene {

namespace {

constexpr size_t kMaxSpaceTitle = 200;

Status list(CommandRequest& req) {
  auto spaces = read_spaces(req.daemon);
  if (!spaces) return spaces.error();
  req.io.print("Spaces: " + std::to_string(spaces->size()));
  for (auto& space : *spaces) {
    std::string line = "  " + space.address;
    if (!space.configured_name.empty()) line += "  name: " + space.configured_name;
    std::string owners;
    for (auto& jid : space.owners) owners += (owners.empty() ? "" : ", ") + jid;
    if (!owners.empty()) line += "  owners: " + owners;
    if (space.locked) line += "  (locked: awaiting its owner's configuration)";
    req.io.print(line);
  }
  return ok_status();
}

Status add(CommandRequest& req) {
  auto name = space_name(req.args[0]);
  if (!name) return name.error();
  auto store = open_space_store(req.daemon);
  if (!store) return store.error();
  auto created = (*store)->ensure(*name);
  if (!created) return created.error();
  if (!*created)
    return make_error("space '" + *name + "' exists already", "See them with 'callbridge space list'.");
  req.io.print("Space " + *name + " created (the call bridge offers it to clients within 2 s)");
  return ok_status();
}

// The spaces' store, once it is known to hold space `name`.
Result<std::unique_ptr<callbridge::SpaceStore>> store_holding(CommandRequest& req, const std::string& name) {
  auto store = open_space_store(req.daemon);
  if (!store) return store.error();
  auto names = (*store)->list();
  if (!names) return names.error();
  if (std::find(names->begin(), names->end(), name) == names->end())
    return make_error("no space named '" + name + "'", "See them with 'callbridge space list'.");
  return store;
}

Status remove(CommandRequest& req) {
  auto name = space_name(req.args[0]);
  if (!name) return name.error();
  auto store = store_holding(req, *name);
  if (!store) return store.error();
  CONVENE_TRY(confirm_or_cancel(req.io, "Delete space " + *name +
                                            " with its settings and history? Its occupants are removed. (Y/n)"));
  CONVENE_TRY((*store)->remove(*name));
  req.io.print("Space " + *name + " deleted (its occupants are told within 2 s)");
  return ok_status();
}

// The operator's rename: the room configuration's name (muc#roomconfig_roomname),
// the same field the space's owner sets from a client; the address stays (it is
// how clients reach the space). Written to the store, which the bridge follows
// (within 2 s) like an owner's change: the later of two writes wins.
Status rename(CommandRequest& req) {
  auto name = space_name(req.args[0]);
  if (!name) return name.error();
  std::string title;
  for (size_t i = 1; i < req.args.size(); ++i) title += (i > 1 ? " " : "") + req.args[i];
  if (title == "none") title.clear();
  if (title.size() > kMaxSpaceTitle)
    return make_error("a space's name has at most " + std::to_string(kMaxSpaceTitle) + " characters",
                      "Give a shorter one, e.g. 'callbridge space name weekly Weekly sync'.");
  if (std::any_of(title.begin(), title.end(), [](char c) { return static_cast<unsigned char>(c) < 0x20; }))
    return make_error("a space's name is one line of text", "Leave out tabs and line breaks.");
  auto store = store_holding(req, *name);
  if (!store) return store.error();
  auto stored = (*store)->settings();
  if (!stored) return stored.error();
  callbridge::RoomSettings settings;  // the defaults: a space made by the operator has no document yet
  if (auto doc = stored->find(*name); doc != stored->end()) {
    auto parsed = callbridge::settings_from_json(doc->second);
    if (!parsed)
      return make_error("the settings of space '" + *name + "' cannot be read: " + parsed.error().message,
                        "Nothing was changed; its owner can configure it again from a client.");
    settings = std::move(*parsed);
  }
  settings.config.name = title;
  CONVENE_TRY((*store)->save_settings(*name, callbridge::settings_to_json(settings)));
  req.io.print(title.empty() ? "Space " + *name + " shows its address again (the call bridge applies it within 2 s)"
                             : "Space " + *name + " named '" + title + "' (the call bridge applies it within 2 s)");
  return ok_status();
}

// The occupants the XMPP service has recorded for this node's call bridge name (the
// replicated record a standby bridge takes over from), not the bridge process's own
// memory: they are listed while the bridge restarts, and a join shows here once the
// bridge has confirmed it to the client.
Status occupants(CommandRequest& req) {
  auto name = space_name(req.args[0]);
  if (!name) return name.error();
  auto bridge = callbridge_config(req.node.config());
  if (bridge.name.empty())
    return make_error("this node has no call bridge name", "Set it with 'callbridge name <name>'.");
  auto spaces = read_spaces(req.daemon);
  if (!spaces) return spaces.error();
  auto space = std::find_if(spaces->begin(), spaces->end(), [&](auto& s) { return s.address == *name; });
  if (space == spaces->end())
    return make_error("no space named '" + *name + "'", "See them with 'callbridge space list'.");
  req.io.print("Space: " + *name + "@" + bridge.name + (bridge.domain.empty() ? "" : "." + bridge.domain));
  req.io.print("Occupants: " + std::to_string(space->occupants.size()));
  for (auto& o : space->occupants) req.io.print("  " + o);
  return ok_status();
}

}  // namespace

void register_callbridge_space_commands(CommandRegistry& r) {
  r.add({{"callbridge", "space", "list"}, "", "the meeting spaces, with their names and owners", 0, 0, list});
  r.add({{"callbridge", "space", "occupants"}, "<name>",
         "who is in a meeting space (nick and address), as the XMPP service recorded them", 1, 1, occupants});
  r.add({{"callbridge", "space", "add"}, "<name>", "create a meeting space (name@<bridge>.<domain>)", 1, 1, add});
  r.add({{"callbridge", "space", "name"}, "<name> <text>|none",
         "give a meeting space a name to show (its address stays); none: show its address", 2, kAnyNumber, rename});
  r.add({{"callbridge", "space", "delete"}, "<name>", "delete a meeting space; its occupants are removed", 1, 1,
         remove});
}

}  // namespace convene
