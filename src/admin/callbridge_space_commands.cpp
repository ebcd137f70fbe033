// `callbridge space list|add|delete`: the operator's view of the meeting spaces.
//
// One model with the clients': these commands change the spaces' store (the
// call bridge's SQLite file on this node, or the database cluster's tables when
// the node is in one, through the same SpaceStore the bridge uses), and the running
// bridge follows the store (callbridge/spaces.h): a space added here is one clients
// can join and see in disco#items; a space deleted here is destroyed for its
// occupants, who get XEP-0045's destroy presence. A space a client created is
// listed here with its configured name and owners.
#include <algorithm>
#include <filesystem>

#include "admin/callbridge_database.h"
#include "admin/callbridge_settings.h"
#include "admin/command_registry.h"
#include "admin/daemon.h"
#include "callbridge/postgres_space_store.h"
#include "callbridge/room_settings.h"
#include "callbridge/sqlite_space_store.h"
#include "node/node.h"
#include "xmpp_core/jid.h"

namespace convene {

namespace {

Result<std::unique_ptr<callbridge::SpaceStore>> open_spaces(CommandRequest& req) {
  auto db = spaces_database(req.daemon.database_if_open());
  if (db.postgres) {
    callbridge::PostgresStoreOptions options;
    options.conninfo = [conninfo = db.conninfo]() -> Result<std::string> { return conninfo; };
    options.bridge = "mmp";  // nothing to import: no SQLite spaces are given
    return callbridge::open_postgres_space_store(std::move(options));
  }
  auto files = callbridge_files(req.node.paths());
  std::error_code ec;
  if (!std::filesystem::is_directory(files.dir, ec))
    return make_error("this node has no call bridge spaces yet",
                      "Set the call bridge up first ('callbridge name', 'callbridge domain', 'callbridge secret').");
  return callbridge::open_sqlite_space_store(files.db.string());
}

Result<std::string> space_name(const std::string& text) {
  auto prepared = xmpp::prepare_localpart(text);
  if (!prepared || prepared->empty())
    return make_error("invalid space name '" + text + "'" + (prepared ? "" : ": " + prepared.error().message),
                      "A space name is the part before @ in its address, e.g. 'weekly' for weekly@cb1.<domain>.");
  return *prepared;
}

Status list(CommandRequest& req) {
  auto store = open_spaces(req);
  if (!store) return store.error();
  auto names = (*store)->list();
  if (!names) return names.error();
  auto stored = (*store)->settings();
  if (!stored) return stored.error();
  req.io.print("Spaces: " + std::to_string(names->size()));
  for (auto& name : *names) {
    std::string line = "  " + name;
    auto text = stored->find(name);
    if (text != stored->end())
      if (auto s = callbridge::settings_from_json(text->second)) {
        if (!s->config.name.empty()) line += "  name: " + s->config.name;
        std::string owners;
        for (auto& [jid, a] : s->affiliations)
          if (a == callbridge::Affiliation::owner) owners += (owners.empty() ? "" : ", ") + jid;
        if (!owners.empty()) line += "  owners: " + owners;
        if (s->locked) line += "  (locked: awaiting its owner's configuration)";
      }
    req.io.print(line);
  }
  return ok_status();
}

Status add(CommandRequest& req) {
  auto name = space_name(req.args[0]);
  if (!name) return name.error();
  auto store = open_spaces(req);
  if (!store) return store.error();
  auto created = (*store)->ensure(*name);
  if (!created) return created.error();
  if (!*created)
    return make_error("space '" + *name + "' exists already", "See them with 'callbridge space list'.");
  req.io.print("Space " + *name + " created (the call bridge offers it to clients within 2 s)");
  return ok_status();
}

Status remove(CommandRequest& req) {
  auto name = space_name(req.args[0]);
  if (!name) return name.error();
  auto store = open_spaces(req);
  if (!store) return store.error();
  auto names = (*store)->list();
  if (!names) return names.error();
  if (std::find(names->begin(), names->end(), *name) == names->end())
    return make_error("no space named '" + *name + "'", "See them with 'callbridge space list'.");
  CONVENE_TRY(confirm_or_cancel(req.io, "Delete space " + *name +
                                            " with its settings and history? Its occupants are removed. (Y/n)"));
  CONVENE_TRY((*store)->remove(*name));
  req.io.print("Space " + *name + " deleted (its occupants are told within 2 s)");
  return ok_status();
}

}  // namespace

void register_callbridge_space_commands(CommandRegistry& r) {
  r.add({{"callbridge", "space", "list"}, "", "the meeting spaces, with their names and owners", 0, 0, list});
  r.add({{"callbridge", "space", "add"}, "<name>", "create a meeting space (name@<bridge>.<domain>)", 1, 1, add});
  r.add({{"callbridge", "space", "delete"}, "<name>", "delete a meeting space; its occupants are removed", 1, 1,
         remove});
}

}  // namespace convene
