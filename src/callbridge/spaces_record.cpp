// Spaces: the record of occupants kept with the XMPP service (component_occupants on
// the server's side). Every join and leave is recorded there before it is
// confirmed; the record is read back on connecting and every kRereadEvery while
// connected, and merged into the rooms held here (restore), so that whichever
// instance holds the bridge's name next knows the same rooms.
#include <map>
#include <optional>
#include <set>
#include <utility>
#include <vector>

#include "callbridge/spaces.h"
#include "util/log.h"
#include "xml/serializer.h"
#include "xmpp_core/namespaces.h"

namespace convene::callbridge {

namespace {
using xmpp::kMucNs;
using xmpp::kStanzasNs;
constexpr auto attr = &xml::attribute;  // short: the stanzas below are written as text
}  // namespace

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
    if (join.recorded) {
      logger("callbridge")->warn("{} joining space {}: its history was not read in {} s; let in without it",
                                 join.occupant.jid, join.room, kJoinRecordWait.count());
      finish_join(join, send);
      continue;
    }
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
    if (join.recorded) {  // waiting for its history only
      pending_joins_[old_id] = std::move(join);
      continue;
    }
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
    ask_again_at_ = now + std::chrono::seconds(1);
    log->info("{} recorded occupant(s) not known to the server yet; asking again in 1 s", doubtful);
  }
}

}  // namespace convene::callbridge
