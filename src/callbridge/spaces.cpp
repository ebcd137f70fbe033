#include "callbridge/spaces.h"

#include "util/log.h"
#include "xml/serializer.h"
#include "xmpp_core/jid.h"
#include "xmpp_core/namespaces.h"

namespace convene::callbridge {

namespace {
using xmpp::kClientNs;
using xmpp::kComponentNs;
using xmpp::kDiscoInfoNs;
using xmpp::kMucNs;
using xmpp::kMucUserNs;
using xmpp::kStanzasNs;

std::string attr(std::string_view name, std::string_view value) {
  std::string out = " ";
  out += name;
  out += "='";
  xml::escape_attr(value, out);
  out += "'";
  return out;
}

std::string occupant_presence(const std::string& from, const std::string& to, const std::string& payload,
                              std::initializer_list<int> codes, bool unavailable = false) {
  std::string out = "<presence" + attr("from", from) + attr("to", to);
  if (unavailable) out += " type='unavailable'";
  out += ">" + payload;
  out += "<x xmlns='";
  out += kMucUserNs;
  out += "'><item affiliation='member' role='";
  out += unavailable ? "none" : "participant";
  out += "'/>";
  for (int c : codes) out += "<status code='" + std::to_string(c) + "'/>";
  out += "</x></presence>";
  return out;
}
}  // namespace

std::string error_reply(const xml::Element& stanza, std::string_view type, std::string_view condition) {
  std::string out = "<" + std::string(stanza.name());
  out += attr("from", stanza.attr("to"));
  out += attr("to", stanza.attr("from"));
  if (!stanza.attr("id").empty()) out += attr("id", stanza.attr("id"));
  out += " type='error'><error";
  out += attr("type", type);
  out += "><";
  out += condition;
  out += " xmlns='";
  out += kStanzasNs;
  out += "'/></error></" + std::string(stanza.name()) + ">";
  return out;
}

Spaces::Spaces(std::string component_domain, SpaceStore& store) : domain_(std::move(component_domain)), store_(store) {
  if (!load()) logger("callbridge")->warn("the known spaces could not be read yet; trying again after the next success");
}

bool Spaces::load() {
  auto all = store_.list();
  if (!all) return false;
  known_.insert(all->begin(), all->end());
  loaded_ = true;
  return true;
}

std::vector<std::string> Spaces::names() const { return {known_.begin(), known_.end()}; }

int Spaces::occupant_count() const {
  int n = 0;
  for (auto& [name, room] : rooms_) n += static_cast<int>(room.by_nick.size());
  return n;
}

void Spaces::handle(const xml::Element& stanza, const std::function<void(const std::string&)>& send) {
  if (stanza.name() == "presence") on_presence(stanza, send);
  else if (stanza.name() == "message") on_message(stanza, send);
  else if (stanza.name() == "iq") on_iq(stanza, send);
}

void Spaces::leave(const std::string& room_name, Room& room, const std::string& nick,
                   const std::function<void(const std::string&)>& send, bool self_notice) {
  auto it = room.by_nick.find(nick);
  if (it == room.by_nick.end()) return;
  std::string leaver = it->second.jid;
  room.by_nick.erase(it);
  std::string from = room_name + "@" + domain_ + "/" + nick;
  for (auto& [other_nick, occ] : room.by_nick) send(occupant_presence(from, occ.jid, {}, {}, true));
  if (self_notice) send(occupant_presence(from, leaver, {}, {110}, true));
}

void Spaces::on_presence(const xml::Element& stanza, const std::function<void(const std::string&)>& send) {
  auto to = xmpp::Jid::parse(stanza.attr("to"));
  auto from = xmpp::Jid::parse(stanza.attr("from"));
  if (!to || !from || !to->has_local()) return;  // presence to the component itself: nothing to do
  std::string room_name(to->local());
  std::string nick(to->resource());
  std::string type(stanza.attr("type"));
  if (type == "error") {
    // The occupant went away; drop whatever nick it held there.
    auto room = rooms_.find(room_name);
    if (room == rooms_.end()) return;
    for (auto& [n, occ] : room->second.by_nick)
      if (occ.jid == from->full()) {
        std::string gone = n;
        leave(room_name, room->second, gone, send, false);
        break;
      }
    return;
  }
  if (type == "unavailable") {
    auto room = rooms_.find(room_name);
    if (room == rooms_.end()) return;
    auto occ = room->second.by_nick.find(nick);
    if (occ == room->second.by_nick.end() || occ->second.jid != from->full()) return;
    leave(room_name, room->second, nick, send, true);
    logger("callbridge")->info("{} left space {}", from->full(), room_name);
    return;
  }
  if (!type.empty()) return;  // subscription requests and probes: spaces have none
  if (nick.empty()) return send(error_reply(stanza, "modify", "jid-malformed"));

  auto& room = rooms_[room_name];
  std::string payload;
  for (auto& child : stanza.children())
    if (child.ns() == kComponentNs || child.ns() == kClientNs)
      if (child.name() == "show" || child.name() == "status") xml::serialize(child, payload, {kComponentNs, false});
  std::string self = room_name + "@" + domain_ + "/" + nick;

  auto held = room.by_nick.find(nick);
  if (held != room.by_nick.end()) {
    if (held->second.jid != from->full()) return send(error_reply(stanza, "cancel", "conflict"));
    // A presence update from an occupant: tell everyone.
    held->second.presence = payload;
    for (auto& [n, occ] : room.by_nick)
      send(occupant_presence(self, occ.jid, payload, occ.jid == from->full() ? std::initializer_list<int>{110}
                                                                            : std::initializer_list<int>{}));
    return;
  }
  // The same user under another nick in this space: a nick change is not supported; leave first.
  for (auto& [n, occ] : room.by_nick)
    if (occ.jid == from->full()) return send(error_reply(stanza, "cancel", "not-acceptable"));

  Result<bool> created = false;
  if (!known_.contains(room_name)) {
    created = store_.ensure(room_name);
    if (!created) {
      logger("callbridge")->error("space {}: {}", room_name, created.error().text());
      if (room.by_nick.empty()) rooms_.erase(room_name);
      return send(error_reply(stanza, "wait", "internal-server-error"));
    }
    known_.insert(room_name);
    if (!loaded_) load();
  }
  // Existing occupants to the joiner, the joiner to everyone else, then the self-presence.
  for (auto& [n, occ] : room.by_nick) {
    send(occupant_presence(room_name + "@" + domain_ + "/" + n, from->full(), occ.presence, {}));
    send(occupant_presence(self, occ.jid, payload, {}));
  }
  room.by_nick[nick] = Occupant{from->full(), payload};
  if (*created)
    send(occupant_presence(self, from->full(), payload, {110, 201}));
  else
    send(occupant_presence(self, from->full(), payload, {110}));
  // The subject comes last: clients take it as "join complete" (XEP-0045 §7.2.15).
  send("<message" + attr("from", room_name + "@" + domain_) + attr("to", from->full()) +
       " type='groupchat'><subject/></message>");
  logger("callbridge")->info("{} joined space {} as {}{}", from->full(), room_name, nick,
                             *created ? " (space created)" : "");
}

void Spaces::on_message(const xml::Element& stanza, const std::function<void(const std::string&)>& send) {
  std::string type(stanza.attr("type"));
  if (type == "error") return;
  auto to = xmpp::Jid::parse(stanza.attr("to"));
  auto from = xmpp::Jid::parse(stanza.attr("from"));
  if (!to || !from) return;
  if (type != "groupchat" || !to->has_local() || to->has_resource())
    return send(error_reply(stanza, "cancel", "feature-not-implemented"));
  std::string room_name(to->local());
  auto room = rooms_.find(room_name);
  const std::string* nick = nullptr;
  if (room != rooms_.end())
    for (auto& [n, occ] : room->second.by_nick)
      if (occ.jid == from->full()) nick = &n;
  if (!nick) return send(error_reply(stanza, "modify", "not-acceptable"));
  std::string body;
  for (auto& child : stanza.children()) xml::serialize(child, body, {kComponentNs, false});
  std::string sender = room_name + "@" + domain_ + "/" + *nick;
  std::string id(stanza.attr("id"));
  for (auto& [n, occ] : room->second.by_nick) {
    std::string out = "<message" + attr("from", sender) + attr("to", occ.jid) + " type='groupchat'";
    if (!id.empty()) out += attr("id", id);
    out += ">" + body + "</message>";
    send(out);
  }
}

void Spaces::on_iq(const xml::Element& stanza, const std::function<void(const std::string&)>& send) {
  std::string type(stanza.attr("type"));
  if (type != "get" && type != "set") return;
  auto* query = stanza.first_child_element();
  if (type == "get" && query && query->name() == "query" && query->ns() == kDiscoInfoNs) {
    auto to = xmpp::Jid::parse(stanza.attr("to"));
    bool room = to && to->has_local();
    std::string out = "<iq type='result'" + attr("from", stanza.attr("to")) + attr("to", stanza.attr("from")) +
                      attr("id", stanza.attr("id")) + "><query xmlns='" + std::string(kDiscoInfoNs) + "'>";
    out += room ? "<identity category='conference' type='text'" + attr("name", std::string(to->local())) + "/>"
                : "<identity category='conference' type='text' name='Meeting spaces'/>";
    out += "<feature var='" + std::string(kMucNs) + "'/>";
    if (room) out += "<feature var='muc_persistent'/><feature var='muc_open'/><feature var='muc_semianonymous'/>";
    out += "</query></iq>";
    return send(out);
  }
  send(error_reply(stanza, "cancel", "service-unavailable"));
}

}  // namespace convene::callbridge
