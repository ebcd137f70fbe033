// Spaces: what occupants say. Groupchat messages go to every occupant and into the
// space's history (kept in its store, bounded: room_history.h); a <subject/> changes
// the subject (kept with the space's settings, sent to each joiner); a message to
// space@bridge/nick is a private message to that occupant (XEP-0045 §7.5).
#include <chrono>
#include <utility>

#include "callbridge/spaces.h"
#include "util/log.h"
#include "xml/serializer.h"
#include "xmpp_core/jid.h"
#include "xmpp_core/namespaces.h"

namespace convene::callbridge {

namespace {
constexpr auto attr = &xml::attribute;

int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}
}  // namespace

void Spaces::on_groupchat(const xml::Element& stanza, const std::string& room_name, const Send& send) {
  auto room = rooms_.find(room_name);
  std::string nick = nick_of(room_name, std::string(stanza.attr("from")));
  if (room == rooms_.end() || nick.empty())
    return send(error_reply(stanza, "modify", "not-acceptable", "Only occupants may speak in this space"));
  auto* subject = stanza.find_child("subject");
  bool has_body = stanza.find_child("body") != nullptr;
  if (subject && !has_body) {
    RoomSettings s = settings_of(room_name);
    s.subject = std::string(subject->text());
    s.subject_by = nick;
    if (!save_settings(room_name, s)) return send(error_reply(stanza, "wait", "internal-server-error"));
    for (auto& [n, occ] : room->second.by_nick) send_subject(room_name, occ.jid, send);
    logger("callbridge")->info("space {}: subject set by {}", room_name, nick);
    return;
  }
  std::string body;
  for (auto& child : stanza.children()) xml::serialize(child, body, {xmpp::kComponentNs, false});
  std::string sender = room_jid(room_name) + "/" + nick;
  std::string id(stanza.attr("id"));
  std::string head = "<message" + attr("from", sender);
  std::string tail = " type='groupchat'" + (id.empty() ? std::string() : attr("id", id)) + ">" + body + "</message>";
  for (auto& [n, occ] : room->second.by_nick) send(head + attr("to", occ.jid) + tail);
  if (!has_body) return;  // chat states and the like are not history
  // Kept after it was delivered, written behind (write_history): a slow store delays
  // neither this stanza nor the next. Not read here: a history not read yet (or
  // that could not be read) is read when a joiner needs it, after this entry is
  // written (history_of); read per message, a store that did not answer held
  // every message of the space.
  HistoryEntry entry{now_ms(), head + tail};
  auto cached = history_.find(room_name);
  if (cached != history_.end()) {
    cached->second.push_back(entry);
    if (cached->second.size() > static_cast<std::size_t>(kHistoryKept))
      cached->second.erase(cached->second.begin(), cached->second.end() - kHistoryKept);
  } else if (auto reading = history_reading_.find(room_name); reading != history_reading_.end()) {
    reading->second.push_back(entry);  // the worker's read may predate it (take_read_histories)
  }
  if (history_unwritten_.empty()) history_unwritten_since_ = std::chrono::steady_clock::now();
  history_unwritten_.emplace_back(room_name, std::move(entry));
  if (history_unwritten_.size() >= kUnwrittenHistory) {
    send({});  // what is batched leaves now, before the store's write (Send's contract)
    write_history();
  }
}

void Spaces::write_history_when_due(const Send& send) {
  if (history_unwritten_.empty() || std::chrono::steady_clock::now() - history_unwritten_since_ < kHistoryDelay) return;
  send({});  // what is batched leaves before the store's write (Send's contract)
  write_history();
}

void Spaces::write_history() {
  if (history_unwritten_.empty()) return;
  if (worker_) {
    worker_->add_histories(std::exchange(history_unwritten_, {}), kHistoryKept);
    return;
  }
  auto st = store_.add_histories(history_unwritten_, kHistoryKept);
  if (!st)
    logger("callbridge")->warn("{} group message(s) not kept in the history: {}", history_unwritten_.size(),
                               st.error().text());
  history_unwritten_.clear();
}

void Spaces::on_private_message(const xml::Element& stanza, const std::string& room_name, const std::string& to_nick,
                                const Send& send) {
  std::string from_nick = nick_of(room_name, std::string(stanza.attr("from")));
  if (from_nick.empty())
    return send(error_reply(stanza, "modify", "not-acceptable", "Only occupants may send private messages"));
  if (stanza.attr("type") == "groupchat") return send(error_reply(stanza, "modify", "bad-request"));
  auto room = rooms_.find(room_name);
  auto target = room->second.by_nick.find(to_nick);
  if (target == room->second.by_nick.end()) return send(error_reply(stanza, "cancel", "item-not-found"));
  std::string body;
  for (auto& child : stanza.children()) xml::serialize(child, body, {xmpp::kComponentNs, false});
  std::string type(stanza.attr("type"));
  std::string out = "<message" + attr("from", room_jid(room_name) + "/" + from_nick) + attr("to", target->second.jid);
  if (!type.empty()) out += attr("type", type);
  if (!stanza.attr("id").empty()) out += attr("id", stanza.attr("id"));
  out += ">" + body + "<x xmlns='" + std::string(xmpp::kMucUserNs) + "'/></message>";
  send(out);
}

const std::vector<HistoryEntry>& Spaces::history_of(const std::string& room_name) {
  static const std::vector<HistoryEntry> none;
  auto cached = history_.find(room_name);
  if (cached != history_.end()) return cached->second;
  flush_history();  // the store's copy first complete
  auto read = store_.history(room_name);
  if (!read) {
    logger("callbridge")->warn("space {}: history cannot be read: {}", room_name, read.error().text());
    return none;
  }
  return history_[room_name] = std::move(*read);
}

void Spaces::send_history(const PendingJoin& join, const Send& send) {
  // With a worker, never read here (spaces_history_read.cpp): a join let in without its
  // history (not read by its deadline) gets none.
  const std::vector<HistoryEntry>* kept = nullptr;
  if (auto cached = history_.find(join.room); cached != history_.end())
    kept = &cached->second;
  else if (!worker_)
    kept = &history_of(join.room);
  if (!kept) return;
  for (auto& m : history_to_send(*kept, join.history, now_ms(), room_jid(join.room), join.occupant.jid)) send(m);
}

void Spaces::send_subject(const std::string& room_name, const std::string& to, const Send& send) {
  RoomSettings s = settings_of(room_name);
  std::string from = s.subject_by.empty() ? room_jid(room_name) : room_jid(room_name) + "/" + s.subject_by;
  std::string out = "<message" + attr("from", from) + attr("to", to) + " type='groupchat'><subject>";
  xml::escape_text(s.subject, out);
  send(out + "</subject></message>");
}

}  // namespace convene::callbridge
