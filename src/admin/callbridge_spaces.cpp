#include "admin/callbridge_spaces.h"

#include <filesystem>

#include "admin/callbridge_database.h"
#include "admin/callbridge_settings.h"
#include "admin/config_sections.h"
#include "admin/daemon.h"
#include "callbridge/postgres_space_store.h"
#include "callbridge/room_settings.h"
#include "callbridge/sqlite_space_store.h"
#include "node/node.h"
#include "xmpp/store.h"
#include "xmpp_core/jid.h"

namespace convene {

bool spaces_store_exists(Daemon& daemon) {
  if (spaces_database(daemon.database_if_open()).postgres) return true;
  std::error_code ec;
  return std::filesystem::is_directory(callbridge_files(daemon.node().paths()).dir, ec);
}

Result<std::unique_ptr<callbridge::SpaceStore>> open_space_store(Daemon& daemon) {
  auto db = spaces_database(daemon.database_if_open());
  if (db.postgres) {
    callbridge::PostgresStoreOptions options;
    options.conninfo = [conninfo = db.conninfo]() -> Result<std::string> { return conninfo; };
    options.bridge = "mmp";  // nothing to import: no SQLite spaces are given
    return callbridge::open_postgres_space_store(std::move(options));
  }
  if (!spaces_store_exists(daemon))
    return make_error("this node has no call bridge spaces yet",
                      "Set the call bridge up first ('callbridge name', 'callbridge domain', 'callbridge secret').");
  return callbridge::open_sqlite_space_store(callbridge_files(daemon.node().paths()).db.string());
}

Result<std::string> space_name(const std::string& text) {
  auto prepared = xmpp::prepare_localpart(text);
  if (!prepared || prepared->empty())
    return make_error("invalid space name '" + text + "'" + (prepared ? "" : ": " + prepared.error().message),
                      "A space name is the part before @ in its address, e.g. 'weekly' for weekly@cb1.<domain>.");
  return *prepared;
}

Result<std::vector<SpaceSummary>> read_spaces(Daemon& daemon) {
  auto store = open_space_store(daemon);
  if (!store) return store.error();
  auto names = (*store)->list();
  if (!names) return names.error();
  auto stored = (*store)->settings();
  if (!stored) return stored.error();
  auto bridge = callbridge_config(daemon.node().config()).name;
  auto recorded = bridge.empty() ? std::vector<xmpp::SpaceOccupant>{} : daemon.store().space_occupants(bridge);
  std::vector<SpaceSummary> out;
  for (auto& name : *names) {
    SpaceSummary space{name, "", {}, false, {}};
    for (auto& o : recorded)
      if (o.space == name) space.occupants.push_back(o.nick + " (" + o.jid + ")");
    auto text = stored->find(name);
    if (text != stored->end())
      if (auto s = callbridge::settings_from_json(text->second)) {
        space.configured_name = s->config.name;
        for (auto& [jid, a] : s->affiliations)
          if (a == callbridge::Affiliation::owner) space.owners.push_back(jid);
        space.locked = s->locked;
      }
    out.push_back(std::move(space));
  }
  return out;
}

}  // namespace convene
