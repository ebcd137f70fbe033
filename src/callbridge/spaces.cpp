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

Spaces::Spaces(std::string component_domain, SpaceStore& store)
    : domain_(std::move(component_domain)),
      server_domain_(domain_.substr(domain_.find('.') == std::string::npos ? 0 : domain_.find('.') + 1)),
      store_(store) {
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
  const std::string& payload = join.occupant.presence;
  std::string self = join.room + "@" + domain_ + "/" + join.nick;
  // Existing occupants to the joiner, the joiner to everyone else, then the self-presence.
  for (auto& [n, occ] : room.by_nick) {
    send(occupant_presence(join.room + "@" + domain_ + "/" + n, jid, occ.presence, {}));
    send(occupant_presence(self, occ.jid, payload, {}));
  }
  room.by_nick[join.nick] = join.occupant;
  if (join.created)
    send(occupant_presence(self, jid, payload, {110, 201}));
  else
    send(occupant_presence(self, jid, payload, {110}));
  // The subject comes last: clients take it as "join complete" (XEP-0045 §7.2.15).
  send("<message" + attr("from", join.room + "@" + domain_) + attr("to", jid) + " type='groupchat'><subject/></message>");
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

void Spaces::tick(const Send& send) {
  if (!pending_joins_.empty()) expire_pending_joins(send);
  if (restoring_ && std::chrono::steady_clock::now() >= restoring_until_) {
    logger("callbridge")->warn("no answer about the occupants in {} s: handling {} held stanza(s)",
                               kRestoreWait.count(), held_.size());
    end_restoring(send);
  }
  if (ask_again_at_ == std::chrono::steady_clock::time_point{} || std::chrono::steady_clock::now() < ask_again_at_)
    return;
  ask_again_at_ = {};
  ask_occupants(send);
}

// The recorded occupants, merged into the rooms held here: an occupant this process
// does not know is taken in when the service says it is online, and removed from
// the record (and, if held here, from its room, telling the others) when it says it
// is gone. Nothing is sent to the occupants that stay: for them the room just goes on.
void Spaces::restore(const xml::Element& occupants, const Send& send) {
  auto log = logger("callbridge");
  int taken = 0, gone = 0, doubtful = 0;
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
      known_.insert(room_name);
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
          std::string from = room_name + "@" + domain_ + "/" + nick;
          for (auto& [n, occ] : room->second.by_nick) send(occupant_presence(from, occ.jid, {}, {}, true));
        }
      }
      log->info("{} ({} in space {}) is gone with its node: removed", jid, nick, room_name);
    }
  }
  if (taken || gone) log->info("occupants read back: {} taken in, {} gone", taken, gone);
  end_restoring(send);
  if (doubtful && asks_left_-- > 0) {
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
  std::string leaver = it->second.jid;
  room.by_nick.erase(it);
  record_leave(room_name, nick, send);
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
    for (auto it = pending_joins_.begin(); it != pending_joins_.end(); ++it)
      if (it->second.room == room_name && it->second.nick == nick && it->second.occupant.jid == from->full()) {
        pending_joins_.erase(it);
        record_leave(room_name, nick, send);
        send(occupant_presence(room_name + "@" + domain_ + "/" + nick, from->full(), {}, {110}, true));
        return;
      }
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

  std::string payload;
  for (auto& child : stanza.children())
    if (child.ns() == kComponentNs || child.ns() == kClientNs)
      if (child.name() == "show" || child.name() == "status") xml::serialize(child, payload, {kComponentNs, false});
  std::string self = room_name + "@" + domain_ + "/" + nick;

  std::string holder = nick_holder(room_name, nick);
  if (!holder.empty() && holder != from->full()) return send(error_reply(stanza, "cancel", "conflict"));
  if (is_pending(room_name, nick)) return;  // a repeat of a join still being recorded: its answer will come
  auto room_it = rooms_.find(room_name);
  if (room_it != rooms_.end()) {
    auto& room = room_it->second;
    auto held = room.by_nick.find(nick);
    if (held != room.by_nick.end()) {
      // A presence update from an occupant: tell everyone.
      held->second.presence = payload;
      record_join(room_name, nick, held->second, send);
      for (auto& [n, occ] : room.by_nick)
        send(occupant_presence(self, occ.jid, payload, occ.jid == from->full() ? std::initializer_list<int>{110}
                                                                              : std::initializer_list<int>{}));
      return;
    }
    // The same user under another nick in this space: a nick change is not supported; leave first.
    for (auto& [n, occ] : room.by_nick)
      if (occ.jid == from->full()) return send(error_reply(stanza, "cancel", "not-acceptable"));
  }

  Result<bool> created = false;
  if (!known_.contains(room_name)) {
    created = store_.ensure(room_name);
    if (!created) {
      logger("callbridge")->error("space {}: {}", room_name, created.error().text());
      return send(error_reply(stanza, "wait", "internal-server-error"));
    }
    known_.insert(room_name);
    if (!loaded_) load();
  }
  // Confirmed to the joiner (and told to the others) once the service has recorded it.
  Occupant occupant{from->full(), payload};
  auto id = record_join(room_name, nick, occupant, send);
  pending_joins_[id] =
      PendingJoin{room_name, nick, std::move(occupant), *created, std::chrono::steady_clock::now() + kJoinRecordWait};
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
