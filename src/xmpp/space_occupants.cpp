#include "xmpp/space_occupants.h"

#include "xmpp/callbridge_name.h"
#include "xmpp_core/jid.h"

namespace convene::xmpp {

using json = nlohmann::json;

namespace {
Result<std::string> field(const json& command, const char* key) {
  auto it = command.find(key);
  if (it == command.end() || !it->is_string() || it->get_ref<const std::string&>().empty())
    return make_error(std::string("store command: '") + key + "' missing or not a string");
  return it->get<std::string>();
}

// bridge, space and nick of a command, checked.
struct Key {
  std::string bridge, space, nick;
};
Result<Key> key_of(const json& command) {
  auto bridge = field(command, "bridge");
  if (!bridge) return bridge.error();
  auto prepared = prepare_callbridge_name(*bridge);
  if (!prepared) return prepared.error();
  auto space = field(command, "space");
  if (!space) return space.error();
  auto nick = field(command, "nick");
  if (!nick) return nick.error();
  return Key{*prepared, *space, *nick};
}

}  // namespace

Status SpaceOccupants::join(const json& command) {
  auto key = key_of(command);
  if (!key) return key.error();
  auto jid = field(command, "jid");
  if (!jid) return jid.error();
  auto parsed = Jid::parse(*jid);
  if (!parsed || !parsed->has_resource()) return make_error("store command: 'jid' is not a full JID");
  auto presence = command.value("presence", std::string());
  auto& rooms = bridges_[key->bridge];
  size_t n = 0;
  for (auto& [space, room] : rooms) n += room.size();
  auto& room = rooms[key->space];
  if (!room.count(key->nick) && n >= kMaxPerBridge) {
    if (room.empty()) rooms.erase(key->space);
    return make_error("call bridge '" + key->bridge + "' has " + std::to_string(n) + " occupants recorded: no more");
  }
  room.insert_or_assign(key->nick, Entry{parsed->full(), std::move(presence)});
  return ok_status();
}

Status SpaceOccupants::leave(const json& command) {
  auto key = key_of(command);
  if (!key) return key.error();
  auto b = bridges_.find(key->bridge);
  if (b == bridges_.end()) return ok_status();
  auto r = b->second.find(key->space);
  if (r == b->second.end()) return ok_status();
  r->second.erase(key->nick);
  if (r->second.empty()) b->second.erase(r);
  if (b->second.empty()) bridges_.erase(b);
  return ok_status();
}

std::vector<SpaceOccupant> SpaceOccupants::of(const std::string& bridge) const {
  std::vector<SpaceOccupant> out;
  auto b = bridges_.find(bridge);
  if (b == bridges_.end()) return out;
  for (auto& [space, room] : b->second)
    for (auto& [nick, e] : room) out.push_back({space, nick, e.jid, e.presence});
  return out;
}

json SpaceOccupants::snapshot() const {
  json out = json::object();
  for (auto& [bridge, rooms] : bridges_)
    for (auto& [space, room] : rooms)
      for (auto& [nick, e] : room) out[bridge][space][nick] = {{"jid", e.jid}, {"presence", e.presence}};
  return out;
}

Result<SpaceOccupants> SpaceOccupants::restore(const json& snapshot) {
  SpaceOccupants t;
  if (snapshot.is_null()) return t;
  if (!snapshot.is_object()) return make_error("space occupants are not an object");
  for (auto& [bridge, rooms] : snapshot.items()) {
    if (!rooms.is_object()) return make_error("space occupants of '" + bridge + "'");
    for (auto& [space, room] : rooms.items()) {
      if (!room.is_object()) return make_error("space occupants of '" + bridge + "/" + space + "'");
      for (auto& [nick, e] : room.items()) {
        auto status = t.join({{"bridge", bridge}, {"space", space}, {"nick", nick}, {"jid", e.value("jid", "")},
                              {"presence", e.value("presence", "")}});
        if (!status) return status.error();
      }
    }
  }
  return t;
}

}  // namespace convene::xmpp
