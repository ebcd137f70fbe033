#include "xmpp/xmpp_state.h"

#include <mutex>

#include "xmpp_core/jid.h"

namespace convene::xmpp {

using nlohmann::json;

namespace {

constexpr int kSnapshotFormat = 1;

// ---- field access: every command is validated before anything changes ----------

Result<std::string> string_field(const json& object, const char* key) {
  auto it = object.find(key);
  if (it == object.end() || !it->is_string())
    return make_error(std::string("store command: '") + key + "' missing or not a string");
  return it->get<std::string>();
}

Result<std::string> user_field(const json& command) {
  auto user = string_field(command, "user");
  if (!user) return user.error();
  auto prepared = prepare_localpart(*user);
  if (!prepared) return make_error("invalid user name '" + *user + "': " + prepared.error().message);
  return prepared;
}

// Non-negative integers: a command built in C++ from an int literal holds a signed
// number, the same command parsed back from the log an unsigned one.
std::optional<uint64_t> u64_field(const json& object, const char* key) {
  auto it = object.find(key);
  if (it == object.end() || !it->is_number_integer()) return std::nullopt;
  if (it->is_number_unsigned()) return it->get<uint64_t>();
  auto v = it->get<int64_t>();
  if (v < 0) return std::nullopt;
  return static_cast<uint64_t>(v);
}

bool bool_field(const json& object, const char* key) {
  auto it = object.find(key);
  return it != object.end() && it->is_boolean() && it->get<bool>();
}

Result<ScramCredentials> credentials_field(const json& command, const char* key, ScramHash hash) {
  auto text = string_field(command, key);
  if (!text) return text.error();
  auto credentials = decode_credentials(*text);
  if (!credentials) return make_error(std::string("store command: bad '") + key + "': " + credentials.error().message);
  if (credentials->hash != hash)
    return make_error(std::string("store command: '") + key + "' holds " + std::string(mechanism_name(credentials->hash)));
  return credentials;
}

Result<std::string> bare_jid(std::string_view text) {
  auto jid = Jid::parse(text);
  if (!jid) return make_error("invalid JID '" + std::string(text) + "': " + jid.error().message);
  return std::string(jid->bare_view());
}

Result<RosterItem> roster_item_from_json(const json& j) {
  if (!j.is_object()) return make_error("store command: roster item is not an object");
  auto jid = string_field(j, "jid");
  if (!jid) return jid.error();
  auto bare = bare_jid(*jid);
  if (!bare) return bare.error();
  RosterItem item;
  item.jid = *bare;
  if (auto it = j.find("name"); it != j.end() && it->is_string()) item.name = it->get<std::string>();
  auto sub = j.value("subscription", std::string("none"));
  auto parsed = parse_subscription(sub);
  if (!parsed) return make_error("store command: unknown subscription '" + sub + "'");
  item.subscription = *parsed;
  item.ask_subscribe = bool_field(j, "ask");
  item.pending_in = bool_field(j, "pending_in");
  if (auto it = j.find("groups"); it != j.end()) {
    if (!it->is_array()) return make_error("store command: roster groups must be a list");
    for (auto& g : *it) {
      if (!g.is_string()) return make_error("store command: roster group names must be strings");
      item.groups.push_back(g.get<std::string>());
    }
  }
  return item;
}

json roster_item_to_json(const RosterItem& item) {
  return {{"jid", item.jid},
          {"name", item.name},
          {"subscription", std::string(subscription_name(item.subscription))},
          {"ask", item.ask_subscribe},
          {"pending_in", item.pending_in},
          {"groups", item.groups}};
}

}  // namespace

std::string_view subscription_name(Subscription subscription) {
  switch (subscription) {
    case Subscription::none: return "none";
    case Subscription::to: return "to";
    case Subscription::from: return "from";
    case Subscription::both: return "both";
  }
  return "none";
}

std::optional<Subscription> parse_subscription(std::string_view text) {
  if (text == "none") return Subscription::none;
  if (text == "to") return Subscription::to;
  if (text == "from") return Subscription::from;
  if (text == "both") return Subscription::both;
  return std::nullopt;
}

// ---- moves (the mutex itself does not move) -------------------------------------

XmppState::XmppState(XmppState&& other) noexcept {
  std::unique_lock lock(other.mutex_);
  users_ = std::move(other.users_);
  callbridges_ = std::move(other.callbridges_);
  occupants_ = std::move(other.occupants_);
  next_offline_id_ = other.next_offline_id_;
}

XmppState& XmppState::operator=(XmppState&& other) noexcept {
  if (this == &other) return *this;
  std::scoped_lock lock(mutex_, other.mutex_);
  users_ = std::move(other.users_);
  callbridges_ = std::move(other.callbridges_);
  occupants_ = std::move(other.occupants_);
  next_offline_id_ = other.next_offline_id_;
  return *this;
}

// ---- writes ------------------------------------------------------------------------

Status XmppState::apply(const StoreCommand& command) {
  std::unique_lock lock(mutex_);
  return apply_locked(command);
}

Status XmppState::apply_locked(const StoreCommand& command) {
  if (!command.is_object()) return make_error("store command is not a JSON object");
  auto op = string_field(command, "op");
  if (!op) return op.error();
  if (*op == "user.add") return add_or_passwd(command, true);
  if (*op == "user.passwd") return add_or_passwd(command, false);
  if (*op == "user.del") return user_del(command);
  if (*op == "roster.set") return roster_set(command);
  if (*op == "roster.remove") return roster_remove(command);
  if (*op == "offline.push") return offline_push(command);
  if (*op == "offline.pop") return offline_pop(command);
  if (*op == "callbridge.set") return callbridge_set(command);
  if (*op == "callbridge.del") return callbridge_del(command);
  if (*op == "space.join") return occupants_.join(command);
  if (*op == "space.leave") return occupants_.leave(command);
  if (*op == "reset") {
    // The id counter goes on: an id is never reused, so a client's old
    // acknowledgement can never name a new message.
    users_.clear();
    callbridges_.clear();
    occupants_.clear();
    return ok_status();
  }
  return make_error("unknown store command '" + *op + "'");
}

Status XmppState::add_or_passwd(const StoreCommand& command, bool add) {
  auto user = user_field(command);
  if (!user) return user.error();
  auto sha1 = credentials_field(command, "sha1", ScramHash::sha1);
  if (!sha1) return sha1.error();
  auto sha256 = credentials_field(command, "sha256", ScramHash::sha256);
  if (!sha256) return sha256.error();
  auto it = users_.find(*user);
  if (add && it != users_.end())
    return make_error("user '" + *user + "' already exists",
                      "Change its password with 'xmpp user passwd " + *user + "'.");
  if (!add && it == users_.end())
    return make_error("no user '" + *user + "'", "Add it with 'xmpp user add " + *user + "'.");
  User& u = add ? users_[*user] : it->second;
  u.sha1 = std::move(*sha1);
  u.sha256 = std::move(*sha256);
  return ok_status();
}

Status XmppState::user_del(const StoreCommand& command) {
  auto user = user_field(command);
  if (!user) return user.error();
  if (users_.erase(*user) == 0) return make_error("no user '" + *user + "'");
  return ok_status();
}

Status XmppState::roster_set(const StoreCommand& command) {
  auto user = user_field(command);
  if (!user) return user.error();
  auto item_json = command.find("item");
  if (item_json == command.end()) return make_error("store command: 'item' missing");
  auto item = roster_item_from_json(*item_json);
  if (!item) return item.error();
  auto it = users_.find(*user);
  if (it == users_.end()) return make_error("no user '" + *user + "'");
  std::string key = item->jid;
  it->second.roster.insert_or_assign(std::move(key), std::move(*item));
  return ok_status();
}

Status XmppState::roster_remove(const StoreCommand& command) {
  auto user = user_field(command);
  if (!user) return user.error();
  auto jid = string_field(command, "jid");
  if (!jid) return jid.error();
  auto bare = bare_jid(*jid);
  if (!bare) return bare.error();
  auto it = users_.find(*user);
  if (it == users_.end()) return make_error("no user '" + *user + "'");
  if (it->second.roster.erase(*bare) == 0)
    return make_error("user '" + *user + "' has no roster item '" + *bare + "'");
  return ok_status();
}

Status XmppState::offline_push(const StoreCommand& command) {
  auto user = user_field(command);
  if (!user) return user.error();
  auto stanza = string_field(command, "stanza");
  if (!stanza) return stanza.error();
  auto stamp = command.find("stamp");
  if (stamp == command.end() || !stamp->is_number_integer())
    return make_error("store command: 'stamp' missing or not an integer");
  auto it = users_.find(*user);
  if (it == users_.end()) return make_error("no user '" + *user + "'");
  if (it->second.offline.size() >= kMaxOfflinePerUser)
    return make_error("offline storage of '" + *user + "' is full (" + std::to_string(kMaxOfflinePerUser) +
                      " messages)");
  OfflineMessage message;
  message.id = next_offline_id_++;
  message.to = *user;
  if (auto to = command.find("to"); to != command.end() && to->is_string()) message.to = to->get<std::string>();
  message.stanza = std::move(*stanza);
  message.stamp = stamp->get<int64_t>();
  it->second.offline.push_back(std::move(message));
  return ok_status();
}

Status XmppState::offline_pop(const StoreCommand& command) {
  auto user = user_field(command);
  if (!user) return user.error();
  auto up_to = u64_field(command, "up_to");
  if (!up_to) return make_error("store command: 'up_to' missing or not an unsigned integer");
  uint64_t limit = *up_to;
  // Popping what is already gone is not an error: two sessions of one user may
  // both acknowledge the same delivery.
  auto it = users_.find(*user);
  if (it == users_.end()) return ok_status();
  auto& queue = it->second.offline;
  while (!queue.empty() && queue.front().id <= limit) queue.pop_front();
  return ok_status();
}

Status XmppState::callbridge_set(const StoreCommand& command) {
  auto raw = string_field(command, "name");
  if (!raw) return raw.error();
  auto name = prepare_callbridge_name(*raw);
  if (!name) return name.error();
  auto secret = string_field(command, "secret");
  if (!secret) return secret.error();
  if (secret->empty()) return make_error("call bridge secret must not be empty");
  auto it = callbridges_.find(*name);
  if (it != callbridges_.end() && !bool_field(command, "replace"))
    return make_error("call bridge '" + *name + "' already exists",
                      "See it with 'xmpp callbridge list', or remove it first with 'xmpp callbridge del " + *name +
                          "'.");
  callbridges_.insert_or_assign(*name, std::move(*secret));
  return ok_status();
}

Status XmppState::callbridge_del(const StoreCommand& command) {
  auto raw = string_field(command, "name");
  if (!raw) return raw.error();
  auto name = prepare_callbridge_name(*raw);
  if (!name) return name.error();
  if (callbridges_.erase(*name) == 0)
    return make_error("no call bridge '" + *name + "'", "See the call bridges with 'xmpp callbridge list'.");
  occupants_.drop_bridge(*name);
  return ok_status();
}

// ---- snapshot ------------------------------------------------------------------------

json XmppState::snapshot() const {
  std::shared_lock lock(mutex_);
  json users = json::object();
  for (auto& [name, u] : users_) {
    json roster = json::array();
    for (auto& [jid, item] : u.roster) roster.push_back(roster_item_to_json(item));
    json offline = json::array();
    for (auto& m : u.offline)
      offline.push_back({{"id", m.id}, {"to", m.to}, {"stanza", m.stanza}, {"stamp", m.stamp}});
    users[name] = {{"sha1", encode_credentials(u.sha1)},
                   {"sha256", encode_credentials(u.sha256)},
                   {"roster", std::move(roster)},
                   {"offline", std::move(offline)}};
  }
  json bridges = json::object();
  for (auto& [name, secret] : callbridges_) bridges[name] = secret;
  return {{"format", kSnapshotFormat},
          {"next_offline_id", next_offline_id_},
          {"users", std::move(users)},
          {"callbridges", std::move(bridges)},
          {"space_occupants", occupants_.snapshot()}};
}

Result<XmppState> XmppState::restore(const json& snapshot) {
  auto bad = [](const std::string& what) { return make_error("XMPP store snapshot is damaged: " + what); };
  if (!snapshot.is_object() || snapshot.value("format", 0) != kSnapshotFormat)
    return bad("unknown format");
  XmppState state;
  auto next = u64_field(snapshot, "next_offline_id");
  if (!next || *next == 0) return bad("no offline id counter");
  state.next_offline_id_ = *next;

  auto users = snapshot.find("users");
  if (users == snapshot.end() || !users->is_object()) return bad("no users");
  for (auto& [name, u] : users->items()) {
    if (!u.is_object()) return bad("user '" + name + "'");
    auto prepared = prepare_localpart(name);
    if (!prepared || *prepared != name) return bad("user name '" + name + "'");
    User user;
    auto sha1 = credentials_field(u, "sha1", ScramHash::sha1);
    if (!sha1) return bad(sha1.error().message);
    auto sha256 = credentials_field(u, "sha256", ScramHash::sha256);
    if (!sha256) return bad(sha256.error().message);
    user.sha1 = std::move(*sha1);
    user.sha256 = std::move(*sha256);
    for (auto& j : u.value("roster", json::array())) {
      auto item = roster_item_from_json(j);
      if (!item) return bad(item.error().message);
      std::string key = item->jid;
      user.roster.insert_or_assign(std::move(key), std::move(*item));
    }
    uint64_t last_id = 0;
    for (auto& m : u.value("offline", json::array())) {
      auto id = m.is_object() ? u64_field(m, "id") : std::nullopt;
      if (!id) return bad("offline message");
      OfflineMessage message;
      message.id = *id;
      if (message.id <= last_id || message.id >= state.next_offline_id_) return bad("offline message ids");
      last_id = message.id;
      message.to = m.value("to", name);
      message.stanza = m.value("stanza", "");
      message.stamp = m.value("stamp", int64_t{0});
      user.offline.push_back(std::move(message));
    }
    state.users_.emplace(name, std::move(user));
  }

  auto bridges = snapshot.find("callbridges");
  if (bridges == snapshot.end() || !bridges->is_object()) return bad("no call bridges");
  for (auto& [name, secret] : bridges->items()) {
    auto prepared = prepare_callbridge_name(name);
    if (!prepared || *prepared != name || !secret.is_string() || secret.get<std::string>().empty())
      return bad("call bridge '" + name + "'");
    state.callbridges_.emplace(name, secret.get<std::string>());
  }
  // Absent from snapshots written before occupants were recorded: none then.
  auto occupants = SpaceOccupants::restore(snapshot.value("space_occupants", json()));
  if (!occupants) return bad(occupants.error().message);
  state.occupants_ = std::move(*occupants);
  return state;
}

// ---- reads ---------------------------------------------------------------------------

const XmppState::User* XmppState::find_user(std::string_view user) const {
  auto prepared = prepare_localpart(user);
  if (!prepared) return nullptr;
  auto it = users_.find(*prepared);
  return it == users_.end() ? nullptr : &it->second;
}

std::optional<ScramCredentials> XmppState::credentials(std::string_view user, ScramHash hash) const {
  std::shared_lock lock(mutex_);
  const User* u = find_user(user);
  if (!u) return std::nullopt;
  return hash == ScramHash::sha1 ? u->sha1 : u->sha256;
}

bool XmppState::user_exists(std::string_view user) const {
  std::shared_lock lock(mutex_);
  return find_user(user) != nullptr;
}

std::vector<std::string> XmppState::users() const {
  std::shared_lock lock(mutex_);
  std::vector<std::string> out;
  out.reserve(users_.size());
  for (auto& [name, u] : users_) out.push_back(name);
  return out;
}

std::vector<RosterItem> XmppState::roster(std::string_view user) const {
  std::shared_lock lock(mutex_);
  std::vector<RosterItem> out;
  if (const User* u = find_user(user))
    for (auto& [jid, item] : u->roster) out.push_back(item);
  return out;
}

std::optional<RosterItem> XmppState::roster_item(std::string_view user, std::string_view contact) const {
  std::shared_lock lock(mutex_);
  const User* u = find_user(user);
  if (!u) return std::nullopt;
  auto bare = bare_jid(contact);
  if (!bare) return std::nullopt;
  auto it = u->roster.find(*bare);
  if (it == u->roster.end()) return std::nullopt;
  return it->second;
}

std::vector<OfflineMessage> XmppState::offline_messages(std::string_view user) const {
  std::shared_lock lock(mutex_);
  const User* u = find_user(user);
  if (!u) return {};
  return {u->offline.begin(), u->offline.end()};
}

std::optional<CallBridge> XmppState::callbridge(std::string_view name) const {
  std::shared_lock lock(mutex_);
  auto prepared = prepare_localpart(name);
  if (!prepared) return std::nullopt;
  auto it = callbridges_.find(*prepared);
  if (it == callbridges_.end()) return std::nullopt;
  return CallBridge{it->first, it->second};
}

std::vector<CallBridge> XmppState::callbridges() const {
  std::shared_lock lock(mutex_);
  std::vector<CallBridge> out;
  for (auto& [name, secret] : callbridges_) out.push_back({name, secret});
  return out;
}

std::vector<SpaceOccupant> XmppState::space_occupants(std::string_view name) const {
  std::shared_lock lock(mutex_);
  auto prepared = prepare_callbridge_name(name);
  if (!prepared) return {};
  return occupants_.of(*prepared);
}

uint64_t XmppState::next_offline_id() const {
  std::shared_lock lock(mutex_);
  return next_offline_id_;
}

}  // namespace convene::xmpp
