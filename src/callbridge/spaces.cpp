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
constexpr auto attr = &xml::attribute;  // short: the stanzas below are written as text

}  // namespace

std::string error_reply(const xml::Element& stanza, std::string_view type, std::string_view condition) {
  return error_reply(stanza, type, condition, {});
}

std::string error_reply(const xml::Element& stanza, std::string_view type, std::string_view condition,
                        const std::string& text) {
  std::string out = "<" + std::string(stanza.name());
  out += attr("from", stanza.attr("to"));
  out += attr("to", stanza.attr("from"));
  if (!stanza.attr("id").empty()) out += attr("id", stanza.attr("id"));
  out += " type='error'>";
  // A refused join carries the MUC element back, so clients tell it from other presence errors.
  if (stanza.name() == "presence") out += "<x xmlns='" + std::string(kMucNs) + "'/>";
  out += "<error";
  out += attr("type", type);
  out += "><";
  out += condition;
  out += " xmlns='";
  out += kStanzasNs;
  out += "'/>";
  if (!text.empty()) {
    out += "<text xmlns='";
    out += kStanzasNs;
    out += "'>";
    xml::escape_text(text, out);
    out += "</text>";
  }
  out += "</error></" + std::string(stanza.name()) + ">";
  return out;
}

std::string iq_result(const xml::Element& stanza, const std::string& payload) {
  std::string out = "<iq type='result'" + attr("from", stanza.attr("to")) + attr("to", stanza.attr("from")) +
                    attr("id", stanza.attr("id"));
  return payload.empty() ? out + "/>" : out + ">" + payload + "</iq>";
}

Spaces::Spaces(std::string component_domain, SpaceStore& store)
    : domain_(std::move(component_domain)),
      server_domain_(domain_.substr(domain_.find('.') == std::string::npos ? 0 : domain_.find('.') + 1)),
      store_(store) {
  if (!load()) logger("callbridge")->warn("the known spaces could not be read yet; trying again after the next success");
}

bool Spaces::load() {
  auto all = store_.list();
  if (!all) return false;
  auto stored = store_.settings();
  if (!stored) return false;
  for (auto& name : *all) know(name);
  for (auto& [name, text] : *stored) {
    auto parsed = settings_from_json(text);
    if (!parsed) {
      logger("callbridge")->error("space {}: its settings cannot be read ({}); the defaults apply", name,
                                  parsed.error().message);
      continue;
    }
    settings_[name] = std::move(*parsed);
  }
  loaded_ = true;
  return true;
}

RoomSettings Spaces::settings_of(const std::string& room_name) const {
  auto it = settings_.find(room_name);
  return it == settings_.end() ? RoomSettings{} : it->second;
}

Status Spaces::save_settings(const std::string& room_name, const RoomSettings& settings) {
  auto st = store_.save_settings(room_name, settings_to_json(settings));
  if (!st) {
    logger("callbridge")->error("space {}: {}", room_name, st.error().text());
    return st;
  }
  settings_[room_name] = settings;
  return ok_status();
}

Affiliation Spaces::affiliation(const std::string& room_name, const std::string& full_jid) const {
  auto jid = xmpp::Jid::parse(full_jid);
  if (!jid) return Affiliation::none;
  auto it = settings_.find(room_name);
  return it == settings_.end() ? Affiliation::none : it->second.affiliation_of(jid->bare().full());
}

bool Spaces::is_moderator(const std::string& room_name, const std::string& full_jid) const {
  return affiliation(room_name, full_jid) >= Affiliation::admin;
}

std::string Spaces::nick_of(const std::string& room_name, const std::string& full_jid) const {
  auto room = rooms_.find(room_name);
  if (room == rooms_.end()) return {};
  for (auto& [n, occ] : room->second.by_nick)
    if (occ.jid == full_jid) return n;
  return {};
}

std::string Spaces::presence_from(const std::string& room_name, const std::string& nick, const Occupant& occ,
                                  const std::string& to, std::initializer_list<int> codes, bool unavailable,
                                  const std::string& new_nick) const {
  std::string out = "<presence" + attr("from", room_jid(room_name) + "/" + nick) + attr("to", to);
  if (unavailable) out += " type='unavailable'";
  out += ">";
  if (!unavailable) out += occ.presence;
  out += "<x xmlns='" + std::string(kMucUserNs) + "'><item";
  out += attr("affiliation", affiliation_name(affiliation(room_name, occ.jid)));
  out += attr("role", unavailable && new_nick.empty() ? "none" : is_moderator(room_name, occ.jid) ? "moderator" : "participant");
  auto st = settings_.find(room_name);
  bool non_anonymous = st != settings_.end() && st->second.config.non_anonymous;
  if (non_anonymous || is_moderator(room_name, to) || occ.jid == to) out += attr("jid", occ.jid);
  if (!new_nick.empty()) out += attr("nick", new_nick);
  out += "/>";
  for (int c : codes) out += "<status code='" + std::to_string(c) + "'/>";
  out += "</x></presence>";
  return out;
}

std::vector<std::string> Spaces::names() const {
  std::vector<std::string> out;
  for (auto& [name, since] : known_) out.push_back(name);
  return out;
}

bool Spaces::know(const std::string& name, std::chrono::steady_clock::time_point since) {
  return known_.emplace(name, since).second;
}

void Spaces::forget(const std::string& name) { known_.erase(name); }

int Spaces::occupant_count() const {
  int n = 0;
  for (auto& [name, room] : rooms_) n += static_cast<int>(room.by_nick.size());
  return n;
}

void Spaces::handle(const xml::Element& stanza, const std::function<void(const std::string&)>& send) {
  bool answer = stanza.name() == "iq" && (stanza.attr("type") == "result" || stanza.attr("type") == "error");
  if (restoring_ && !answer && held_.size() < kHeldMax) {
    auto doc = std::make_unique<xml::Document>();
    doc->set_root(&doc->clone(stanza));
    held_.push_back(std::move(doc));
    return;
  }
  if (stanza.name() == "presence") on_presence(stanza, send);
  else if (stanza.name() == "message") on_message(stanza, send);
  else if (stanza.name() == "iq") on_iq(stanza, send);
}

void Spaces::leave(const std::string& room_name, Room& room, const std::string& nick,
                   const std::function<void(const std::string&)>& send, bool self_notice) {
  auto it = room.by_nick.find(nick);
  if (it == room.by_nick.end()) return;
  Occupant leaver = it->second;
  room.by_nick.erase(it);
  record_leave(room_name, nick, send);
  for (auto& [other_nick, occ] : room.by_nick) send(presence_from(room_name, nick, leaver, occ.jid, {}, true));
  if (self_notice) send(presence_from(room_name, nick, leaver, leaver.jid, {110}, true));
}

void Spaces::remove_occupant(const std::string& room_name, const std::string& nick, int code, const Send& send) {
  auto room = rooms_.find(room_name);
  if (room == rooms_.end()) return;
  auto it = room->second.by_nick.find(nick);
  if (it == room->second.by_nick.end()) return;
  Occupant gone = it->second;
  room->second.by_nick.erase(it);
  record_leave(room_name, nick, send);
  send(presence_from(room_name, nick, gone, gone.jid, {110, code}, true));
  for (auto& [n, occ] : room->second.by_nick) send(presence_from(room_name, nick, gone, occ.jid, {code}, true));
  logger("callbridge")->info("{} ({}) removed from space {} (status {})", gone.jid, nick, room_name, code);
}

void Spaces::drop_if_temporary_and_empty(const std::string& room_name, const Send& send) {
  auto room = rooms_.find(room_name);
  if (room != rooms_.end() && !room->second.by_nick.empty()) return;
  for (auto& [id, p] : pending_joins_)
    if (p.room == room_name) return;
  if (settings_of(room_name).config.persistent) {
    if (room != rooms_.end()) rooms_.erase(room);
    return;
  }
  auto st = destroy(room_name, "", send);
  if (st) logger("callbridge")->info("temporary space {} destroyed: its last occupant left", room_name);
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
    std::string gone = nick_of(room_name, from->full());
    if (!gone.empty()) leave(room_name, room->second, gone, send, false);
    drop_if_temporary_and_empty(room_name, send);
    return;
  }
  if (type == "unavailable") {
    for (auto it = pending_joins_.begin(); it != pending_joins_.end(); ++it)
      if (it->second.room == room_name && it->second.nick == nick && it->second.occupant.jid == from->full()) {
        Occupant occ = it->second.occupant;
        pending_joins_.erase(it);
        record_leave(room_name, nick, send);
        send(presence_from(room_name, nick, occ, occ.jid, {110}, true));
        return;
      }
    auto room = rooms_.find(room_name);
    if (room == rooms_.end()) return;
    auto occ = room->second.by_nick.find(nick);
    if (occ == room->second.by_nick.end() || occ->second.jid != from->full()) return;
    leave(room_name, room->second, nick, send, true);
    logger("callbridge")->info("{} left space {}", from->full(), room_name);
    drop_if_temporary_and_empty(room_name, send);
    return;
  }
  if (!type.empty()) return;  // subscription requests and probes: spaces have none
  if (nick.empty()) return send(error_reply(stanza, "modify", "jid-malformed"));

  std::string payload;
  for (auto& child : stanza.children())
    if (child.ns() == kComponentNs || child.ns() == kClientNs)
      if (child.name() == "show" || child.name() == "status") xml::serialize(child, payload, {kComponentNs, false});

  std::string holder = nick_holder(room_name, nick);
  if (!holder.empty() && holder != from->full())
    return send(error_reply(stanza, "cancel", "conflict", "That nickname is already in use in this space"));
  if (is_pending(room_name, nick)) return;  // a repeat of a join still being recorded: its answer will come
  if (auto room_it = rooms_.find(room_name); room_it != rooms_.end()) {
    auto& room = room_it->second;
    auto held = room.by_nick.find(nick);
    if (held != room.by_nick.end()) {
      held->second.presence = payload;
      record_join(room_name, nick, held->second, send);
      if (const xml::Element* x = stanza.find_child("x", kMucNs)) return rejoin(room_name, nick, held->second, x, send);
      // A presence update from an occupant: tell everyone.
      for (auto& [n, occ] : room.by_nick)
        send(presence_from(room_name, nick, held->second, occ.jid,
                           occ.jid == from->full() ? std::initializer_list<int>{110} : std::initializer_list<int>{}));
      return;
    }
    // The same user under another nick in this space: a nick change (XEP-0045 §7.6).
    std::string old_nick = nick_of(room_name, from->full());
    if (!old_nick.empty()) return change_nick(stanza, room_name, old_nick, nick, payload, send);
  }

  std::string refused = refuse_join(room_name, nick, from->full(), stanza);
  if (!refused.empty()) {
    auto slash = refused.find('/');
    return send(error_reply(stanza, refused.substr(0, slash), refused.substr(slash + 1)));
  }

  Result<bool> created = false;
  if (!known_.contains(room_name)) {
    created = store_.ensure(room_name);
    if (!created) {
      logger("callbridge")->error("space {}: {}", room_name, created.error().text());
      return send(error_reply(stanza, "wait", "internal-server-error"));
    }
    know(room_name);
    if (!loaded_) load();
    if (*created) {
      history_[room_name];  // nothing said yet: nothing to read
      // The creator owns the new space, which stays locked until configured (XEP-0045 §10.1).
      RoomSettings fresh;
      fresh.affiliations[from->bare().full()] = Affiliation::owner;
      fresh.locked = true;
      if (!save_settings(room_name, fresh)) {
        (void)store_.remove(room_name);
        forget(room_name);
        history_.erase(room_name);
        return send(error_reply(stanza, "wait", "internal-server-error"));
      }
    }
  }
  // Confirmed to the joiner (and told to the others) once the service has recorded it.
  Occupant occupant{from->full(), payload};
  auto id = record_join(room_name, nick, occupant, send);
  pending_joins_[id] = PendingJoin{room_name, nick, std::move(occupant), *created,
                                   std::chrono::steady_clock::now() + kJoinRecordWait,
                                   parse_history_request(stanza.find_child("x", kMucNs))};
}

std::string Spaces::refuse_join(const std::string& room_name, const std::string& nick, const std::string& full_jid,
                                const xml::Element& stanza) const {
  (void)nick;
  if (!known_.contains(room_name)) return {};  // a new space: its creator gets in
  RoomSettings s = settings_of(room_name);
  Affiliation a = affiliation(room_name, full_jid);
  if (s.locked && a != Affiliation::owner) return "cancel/item-not-found";
  if (a == Affiliation::outcast) return "auth/forbidden";
  if (s.config.members_only && a < Affiliation::member) return "auth/registration-required";
  if (s.config.password_protected) {
    auto* x = stanza.find_child("x", kMucNs);
    auto* password = x ? x->find_child("password") : nullptr;
    if (!password || password->text() != s.config.password) return "auth/not-authorized";
  }
  if (s.config.max_users > 0 && a < Affiliation::admin) {
    int n = 0;
    if (auto room = rooms_.find(room_name); room != rooms_.end()) n = static_cast<int>(room->second.by_nick.size());
    for (auto& [id, p] : pending_joins_) n += p.room == room_name && !p.rejoin;
    if (n >= s.config.max_users) return "wait/service-unavailable";
  }
  return {};
}

void Spaces::change_nick(const xml::Element& /*stanza*/, const std::string& room_name, const std::string& old_nick,
                         const std::string& new_nick, const std::string& payload, const Send& send) {
  auto& room = rooms_[room_name];
  Occupant occ = room.by_nick[old_nick];
  occ.presence = payload;
  // XEP-0045 §7.6: unavailable from the old nick with 303 and the new one, then available from the new.
  for (auto& [n, other] : room.by_nick)
    send(presence_from(room_name, old_nick, occ, other.jid,
                       other.jid == occ.jid ? std::initializer_list<int>{303, 110} : std::initializer_list<int>{303},
                       true, new_nick));
  room.by_nick.erase(old_nick);
  room.by_nick[new_nick] = occ;
  record_leave(room_name, old_nick, send);
  record_join(room_name, new_nick, occ, send);
  for (auto& [n, other] : room.by_nick)
    send(presence_from(room_name, new_nick, occ, other.jid,
                       other.jid == occ.jid ? std::initializer_list<int>{110} : std::initializer_list<int>{}));
  logger("callbridge")->info("{} in space {}: nick {} is now {}", occ.jid, room_name, old_nick, new_nick);
}

void Spaces::on_message(const xml::Element& stanza, const std::function<void(const std::string&)>& send) {
  std::string type(stanza.attr("type"));
  if (type == "error") return;
  auto to = xmpp::Jid::parse(stanza.attr("to"));
  auto from = xmpp::Jid::parse(stanza.attr("from"));
  if (!to || !from) return;
  if (!to->has_local()) return send(error_reply(stanza, "cancel", "feature-not-implemented"));
  std::string room_name(to->local());
  if (to->has_resource()) return on_private_message(stanza, room_name, std::string(to->resource()), send);
  if (type == "groupchat") return on_groupchat(stanza, room_name, send);
  send(error_reply(stanza, "cancel", "feature-not-implemented"));  // invitations and the like
}

void Spaces::on_iq(const xml::Element& stanza, const std::function<void(const std::string&)>& send) {
  std::string type(stanza.attr("type"));
  if (type == "result" || type == "error") {
    auto* payload = stanza.first_child_element();
    if (stanza.attr("from") != server_domain_) return;
    if (auto pending = pending_joins_.find(std::string(stanza.attr("id")));
        pending != pending_joins_.end() && !pending->second.recorded) {
      if (type == "result" && !history_at_hand(pending->second.room)) {
        pending->second.recorded = true;  // in once the worker has read the history (take_read_histories)
        return;
      }
      PendingJoin join = std::move(pending->second);
      pending_joins_.erase(pending);
      if (type == "result") return complete_join(join, send);
      logger("callbridge")->warn("{} joining space {}: the XMPP service could not record it; refused",
                                 join.occupant.jid, join.room);
      return fail_join(join, send);
    }
    if (type == "result" && payload && payload->name() == "occupants" && payload->ns() == xmpp::kSpaceOccupantsNs)
      restore(*payload, send);
    else if (type == "error") {
      logger("callbridge")->warn("the XMPP service refused request {} about the occupants", stanza.attr("id"));
      end_restoring(send);
    }
    return;
  }
  if (type != "get" && type != "set") return;
  auto* query = stanza.first_child_element();
  auto to = xmpp::Jid::parse(stanza.attr("to"));
  if (!query || !to) return send(error_reply(stanza, "modify", "bad-request"));
  if (type == "get" && query->ns() == kDiscoInfoNs && !to->has_resource()) return on_disco_info(stanza, send);
  if (type == "get" && query->ns() == xmpp::kDiscoItemsNs && !to->has_resource()) return on_disco_items(stanza, send);
  if (type == "get" && query->ns() == xmpp::kPingNs) {
    if (to->has_resource()) return on_self_ping(stanza, send);
    return send(iq_result(stanza, ""));
  }
  if (to->has_local() && !to->has_resource()) {
    if (query->ns() == kMucOwnerNs) return on_owner(stanza, *query, std::string(to->local()), send);
    if (query->ns() == kMucAdminNs) return on_admin(stanza, *query, std::string(to->local()), send);
  }
  send(error_reply(stanza, "cancel", "service-unavailable"));
}

}  // namespace convene::callbridge
