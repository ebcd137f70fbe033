#include "callbridge/spaces.h"

#include <map>
#include <optional>
#include <set>
#include <utility>
#include <vector>

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

// ---- the record with the XMPP service -------------------------------------------------

namespace {
constexpr int kAsksWhileInDoubt = 30;  // a second apart: the service's copy of the sessions must catch up by then
}

std::string Spaces::record_join(const std::string& room_name, const std::string& nick, const Occupant& occ,
                                const Send& send) {
  std::string id = "rec" + std::to_string(++asked_);
  send("<iq type='set'" + attr("from", domain_) + attr("to", server_domain_) + attr("id", id) + "><occupants xmlns='" +
       std::string(xmpp::kSpaceOccupantsNs) + "'><join" + attr("space", room_name) + attr("nick", nick) +
       attr("jid", occ.jid) + attr("presence", occ.presence) + "/></occupants></iq>");
  return id;
}

std::string Spaces::nick_holder(const std::string& room_name, const std::string& nick) const {
  auto room = rooms_.find(room_name);
  if (room != rooms_.end()) {
    auto occ = room->second.by_nick.find(nick);
    if (occ != room->second.by_nick.end()) return occ->second.jid;
  }
  for (auto& [id, p] : pending_joins_)
    if (p.room == room_name && p.nick == nick) return p.occupant.jid;
  return {};
}

bool Spaces::is_pending(const std::string& room_name, const std::string& nick) const {
  for (auto& [id, p] : pending_joins_)
    if (p.room == room_name && p.nick == nick) return true;
  return false;
}

void Spaces::complete_join(const PendingJoin& join, const Send& send) {
  auto& room = rooms_[join.room];
  const std::string& jid = join.occupant.jid;
  // Existing occupants to the joiner, the joiner to everyone else, then the self-presence.
  for (auto& [n, occ] : room.by_nick) {
    send(presence_from(join.room, n, occ, jid, {}));
    send(presence_from(join.room, join.nick, join.occupant, occ.jid, {}));
  }
  room.by_nick[join.nick] = join.occupant;
  bool non_anonymous = settings_of(join.room).config.non_anonymous;
  if (join.created)
    send(presence_from(join.room, join.nick, join.occupant, jid, {110, 201}));
  else if (non_anonymous)
    send(presence_from(join.room, join.nick, join.occupant, jid, {100, 110}));
  else
    send(presence_from(join.room, join.nick, join.occupant, jid, {110}));
  send_history(join, send);
  // The subject comes last: clients take it as "join complete" (XEP-0045 §7.2.15).
  send_subject(join.room, jid, send);
  logger("callbridge")->info("{} joined space {} as {}{}", jid, join.room, join.nick,
                             join.created ? " (space created)" : "");
}

void Spaces::fail_join(const PendingJoin& join, const Send& send) {
  send("<presence" + attr("from", join.room + "@" + domain_ + "/" + join.nick) + attr("to", join.occupant.jid) +
       " type='error'><x xmlns='" + std::string(kMucNs) + "'/><error type='wait'><internal-server-error xmlns='" +
       std::string(kStanzasNs) + "'/></error></presence>");
}

void Spaces::expire_pending_joins(const Send& send) {
  auto now = std::chrono::steady_clock::now();
  for (auto it = pending_joins_.begin(); it != pending_joins_.end();) {
    if (now < it->second.give_up_at) {
      ++it;
      continue;
    }
    PendingJoin join = std::move(it->second);
    it = pending_joins_.erase(it);
    logger("callbridge")->warn("{} joining space {}: the XMPP service did not record it in {} s; refused", join.occupant.jid,
                               join.room, kJoinRecordWait.count());
    // The record may still land later: undo it, so no restored occupant appears that was refused.
    record_leave(join.room, join.nick, send);
    fail_join(join, send);
  }
}

void Spaces::record_leave(const std::string& room_name, const std::string& nick, const Send& send) {
  send("<iq type='set'" + attr("from", domain_) + attr("to", server_domain_) + attr("id", "rec" + std::to_string(++asked_)) +
       "><occupants xmlns='" + std::string(xmpp::kSpaceOccupantsNs) + "'><leave" + attr("space", room_name) +
       attr("nick", nick) + "/></occupants></iq>");
}

void Spaces::ask_occupants(const Send& send) {
  send("<iq type='get'" + attr("from", domain_) + attr("to", server_domain_) + attr("id", "occ" + std::to_string(++asked_)) +
       "><occupants xmlns='" + std::string(xmpp::kSpaceOccupantsNs) + "'/></iq>");
}

void Spaces::connected(const Send& send) {
  asks_left_ = kAsksWhileInDoubt;
  ask_again_at_ = {};
  reread_at_ = std::chrono::steady_clock::now() + reread_every_;
  unrecorded_since_.clear();
  held_.clear();  // a lost connection's: their senders had no answer, as with the connection
  restoring_ = true;
  restoring_until_ = std::chrono::steady_clock::now() + kRestoreWait;
  // Joins whose record was asked on the lost connection: asked again on this one
  // (recording a join twice is harmless), still within their first deadline.
  auto pending = std::move(pending_joins_);
  pending_joins_.clear();
  for (auto& [old_id, join] : pending) {
    auto id = record_join(join.room, join.nick, join.occupant, send);
    pending_joins_[id] = std::move(join);
  }
  ask_occupants(send);
}

void Spaces::end_restoring(const Send& send) {
  if (!restoring_) return;
  restoring_ = false;
  auto held = std::move(held_);
  held_.clear();
  for (auto& doc : held) handle(*doc->root(), send);
}

// The recorded occupants, merged into the rooms held here: an occupant this process
// does not know is taken in when the service says it is online, and removed from
// the record (and, if held here, from its room, telling the others) when it says it
// is gone. Nothing is sent to the occupants that stay: for them the room just goes on.
//
// An occupant held here that the record does not have any more is removed too, and
// told so (status 333, removed for a technical reason: it may join again). This
// process held it on an earlier connection; meanwhile another instance held the
// name and recorded its leave, or removed it as gone with its node (a partition:
// its session may have come back). Kept, it would talk in a room that the next
// instance to take over does not know it is in (seen in a chaos run: 3.3 s without
// its messages, until its client joined again by itself). But only once a later
// answer, kUnrecordedSettle on, from a service whose copy is current, still lacks
// it: a record confirmed by a leader that died just after may reach the other
// nodes' copies only once a new leader is elected (seen in a test: a join confirmed
// 60 ms before the kill of the leader's node was not in the next node's answer).
void Spaces::restore(const xml::Element& occupants, const Send& send) {
  auto log = logger("callbridge");
  int taken = 0, gone = 0, doubtful = 0;
  const auto now = std::chrono::steady_clock::now();
  std::set<std::pair<std::string, std::string>> recorded;  // (space, nick)
  for (auto& o : occupants.children())
    if (o.name() == "occupant") recorded.emplace(std::string(o.attr("space")), std::string(o.attr("nick")));
  // Missing here: since when, or nothing when this is the first answer to lack it.
  std::map<std::pair<std::string, std::string>, std::optional<std::chrono::steady_clock::time_point>> unrecorded;
  for (auto& [room_name, room] : rooms_)
    for (auto& [nick, occupant] : room.by_nick) {
      std::pair key{room_name, nick};
      if (recorded.contains(key) || is_pending(room_name, nick)) continue;
      auto seen = unrecorded_since_.find(key);
      unrecorded[key] = seen == unrecorded_since_.end() ? std::nullopt : std::optional(seen->second);
    }
  unrecorded_since_.clear();
  const bool current = occupants.attr("current") != "false";
  for (auto& [key, since] : unrecorded) {
    auto& [room_name, nick] = key;
    if (!since || !current || now - *since < unrecorded_settle_) {
      unrecorded_since_.emplace(key, since.value_or(now));
      continue;
    }
    log->info("{} in space {}: held here but not recorded any more (it left or was removed elsewhere); removed",
              nick, room_name);
    remove_occupant(room_name, nick, kRemovedForTechnicalReasons, send);
    if (auto room = rooms_.find(room_name); room != rooms_.end() && room->second.by_nick.empty()) rooms_.erase(room);
    ++gone;
  }
  // Two passes: those who stay first, so the gone ones' unavailable presence reaches all of them.
  for (int pass = 0; pass < 2; ++pass)
  for (auto& o : occupants.children()) {
    if (o.name() != "occupant") continue;
    if ((o.attr("online") == "false") != (pass == 1)) continue;
    std::string room_name(o.attr("space")), nick(o.attr("nick")), jid(o.attr("jid"));
    std::string online(o.attr("online"));
    if (room_name.empty() || nick.empty() || jid.empty()) continue;
    auto room = rooms_.find(room_name);
    if (is_pending(room_name, nick)) continue;  // its own answer is on the way
    bool held = room != rooms_.end() && room->second.by_nick.count(nick) && room->second.by_nick[nick].jid == jid;
    if (online == "unknown") ++doubtful;  // kept meanwhile: most likely still there
    if (online == "true" || online == "unknown") {
      if (held) continue;
      auto& r = rooms_[room_name];
      if (r.by_nick.count(nick)) continue;  // the nick was taken meanwhile by someone else: theirs now
      r.by_nick[nick] = Occupant{jid, std::string(o.attr("presence"))};
      // A space another instance created (its own SQLite file): kept here too, so
      // following the store does not take it for removed. By the worker when there
      // is one (store_worker.h says why); a snapshot read before that is older than
      // know() and removes nothing.
      if (!known_.contains(room_name)) {
        if (worker_)
          worker_->add_spaces({room_name});
        else if (!store_.ensure(room_name))
          log->warn("space {}: not in this bridge's store and it cannot be added now", room_name);
      }
      know(room_name);
      ++taken;
    } else if (online == "false") {
      ++gone;
      if (held) {
        leave(room_name, room->second, nick, send, false);  // records the leave too
        if (room->second.by_nick.empty()) rooms_.erase(room);
      } else {
        // Never known here (it joined the instance that died): the room still hears it go.
        record_leave(room_name, nick, send);
        if (room != rooms_.end()) {
          Occupant gone_occ{jid, {}};
          for (auto& [n, occ] : room->second.by_nick) send(presence_from(room_name, nick, gone_occ, occ.jid, {}, true));
        }
      }
      log->info("{} ({} in space {}) is gone with its node: removed", jid, nick, room_name);
    }
  }
  if (taken || gone) log->info("occupants read back: {} taken in, {} gone", taken, gone);
  end_restoring(send);
  if (!unrecorded_since_.empty() && asks_left_-- > 0) {
    ask_again_at_ = now + unrecorded_settle_;
    log->info("{} occupant(s) held here are not in the record; asking again in {} ms before removing them",
              unrecorded_since_.size(), unrecorded_settle_.count());
  } else if (doubtful && asks_left_-- > 0) {
    ask_again_at_ = std::chrono::steady_clock::now() + std::chrono::seconds(1);
    log->info("{} recorded occupant(s) not known to the server yet; asking again in 1 s", doubtful);
  }
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
      // The creator owns the new space, which stays locked until configured (XEP-0045 §10.1).
      RoomSettings fresh;
      fresh.affiliations[from->bare().full()] = Affiliation::owner;
      fresh.locked = true;
      if (!save_settings(room_name, fresh)) {
        (void)store_.remove(room_name);
        forget(room_name);
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
    for (auto& [id, p] : pending_joins_) n += p.room == room_name;
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
    if (auto pending = pending_joins_.find(std::string(stanza.attr("id"))); pending != pending_joins_.end()) {
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
