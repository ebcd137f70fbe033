#pragma once
// Meeting spaces: the subset of multi-user chat (XEP-0045) that real clients speak,
// on the call bridge's component domain (cb1.tptac9.com):
//  - join: available presence to space@cb1.<domain>/nick. The joiner gets the
//    presence of every occupant, then its own with status 110 (and 201 when the
//    space was created by this join), then the (empty) subject; everyone else gets
//    the new occupant's presence. A nick held by someone else: <conflict/>.
//    The joiner's confirmation (everything above) waits for the XMPP service to say
//    the occupant is recorded (below): a join confirmed and then lost with the
//    bridge's node would leave a client sure it is in a room nobody else sees.
//    No answer within kJoinRecordWait, or a refusal: the join is answered with an
//    error presence (internal-server-error, wait) and nobody else heard of it.
//  - groupchat messages from an occupant to space@cb1.<domain> go to every occupant
//    (the sender too, as XEP-0045 §7.4 says), from space@.../nick.
//  - leave: unavailable presence (or a presence error bounced from the occupant).
//    Everyone gets its unavailable presence; the leaver's own carries status 110.
// The owner's side (spaces_owner.cpp: instant room, configuration form, destroy),
// the affiliation lists, kick and ban (spaces_admin.cpp), discovery and self-ping
// (spaces_disco.cpp), a rejoin after a lost session (spaces_rejoin.cpp), and
// messages: groupchat, subject, history, private messages (spaces_messages.cpp)
// are members of this class in files of their own.
// The store is the one model of which spaces exist: `mmp callbridge space add/delete`
// (and anything else with the store) change it directly, and the bridge follows it
// every kFollowEvery (follow_store): a space gone from the store is destroyed for its
// occupants, a new one is known, changed settings apply.
// Spaces are created on first join and persisted (SpaceStore). Occupants are kept
// in this process for speed, and every join and leave is also recorded with the
// XMPP service (xmpp/component_occupants.h: replicated to every node), so they
// survive the bridge: an instance that connects under the name (the standby that
// takes over after the serving one's node died, or the same bridge restarted) reads
// them back (connected()) and carries on with the same rooms. Occupants the
// service says are gone (their node died too) are removed and the rest of the room
// gets their unavailable presence; those it cannot vouch for yet (its copy of the
// cluster's sessions is not current) are asked about again every second.
//
// The names of the spaces are kept in memory too (read from the store at start,
// added to on creation): joining a known space and every message need no database
// round trip, so occupants keep talking while the database cluster fails over;
// only creating a space waits for the store.
//
// Thread-safety: used by the connector thread only.
#include <chrono>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "callbridge/muc_namespaces.h"
#include "callbridge/room_history.h"
#include "callbridge/room_settings.h"
#include "callbridge/space_store.h"
#include "callbridge/store_worker.h"
#include "xml/element.h"

namespace convene::callbridge {

class Spaces {
 public:
  Spaces(std::string component_domain, SpaceStore& store);
  // From now on the history is written and the spaces are read back (follow_store)
  // by `worker` (store_worker.h), off this thread; `worker` outlives this object's use.
  void use_worker(StoreWorker* worker) { worker_ = worker; }
  // Tests: how long an occupant held here may be missing from the record (restore),
  // and how often the occupants are read back while connected.
  void set_unrecorded_settle(std::chrono::milliseconds settle) { unrecorded_settle_ = settle; }
  void set_reread_every(std::chrono::milliseconds every) {
    reread_every_ = every;
    if (reread_at_ != std::chrono::steady_clock::time_point{}) reread_at_ = std::chrono::steady_clock::now() + every;
  }

  using Send = std::function<void(const std::string&)>;
  // Handle one stanza addressed to the component; `send` receives every stanza to write,
  // and an empty string where what it has gathered should be written now, before a slow
  // step (send_batch.h): a writer that sends at once ignores it.
  void handle(const xml::Element& stanza, const Send& send);
  // A new connection to the XMPP service: ask for the recorded occupants.
  void connected(const Send& send);
  // Called often (at least every 100 ms, and after every read) while connected: asks
  // about the occupants again when due (kRereadEvery, or sooner while in doubt), and
  // writes the history once its oldest unwritten entry is kHistoryDelay old (write_history).
  void tick(const Send& send);
  // History is written behind the messages: a group message goes to the occupants and
  // into the in-memory history at once, and to the store within kHistoryDelay (or once
  // kUnwrittenHistory wait), several in one commit. A store write per message paced a
  // busy space at one sync per message, and a sync per read still did on a loaded
  // disk. What a crash of the bridge loses is the last kHistoryDelay of messages from
  // the history (the occupants had them). Also written before the store's history is
  // read, before a space is destroyed, and when the connection ends.
  void write_history();
  static constexpr size_t kUnwrittenHistory = 256;
  static constexpr auto kHistoryDelay = std::chrono::milliseconds(200);

  std::vector<std::string> names() const;
  int occupant_count() const;
  // Destroys a space: its occupants get the destroy presence (XEP-0045 §10.9), the
  // store forgets it with its settings and history. Unknown: an error.
  Status destroy(const std::string& room_name, const std::string& reason, const Send& send);
  // The space's settings (defaults when it has none stored); for tests and status.
  RoomSettings settings_of(const std::string& room_name) const;
  // The worker's store when there is one: it is the one that talks to the database
  // every few seconds, so its last failure is the news.
  StoreInfo store_info() const { return worker_ ? worker_->info() : store_.info(); }

 private:
  struct Occupant {
    std::string jid;       // full JID of the user
    std::string presence;  // serialized <show/>, <status/> children of its last presence
  };
  struct Room {
    std::map<std::string, Occupant> by_nick;
  };
  // A join whose record the XMPP service has not confirmed yet (keyed by the request's id).
  struct PendingJoin {
    std::string room;
    std::string nick;
    Occupant occupant;
    bool created = false;  // the space was created by this join (status 201)
    std::chrono::steady_clock::time_point give_up_at{};
    HistoryRequest history;
    // The service recorded it; it waits for its space's history, read by the worker
    // (history_at_hand), and is let in without it at give_up_at.
    bool recorded = false;
    bool rejoin = false;  // an occupant held already, joining again (rejoin): only the history is awaited
  };

  void on_presence(const xml::Element& stanza, const std::function<void(const std::string&)>& send);
  void on_message(const xml::Element& stanza, const std::function<void(const std::string&)>& send);
  void on_iq(const xml::Element& stanza, const std::function<void(const std::string&)>& send);
  void leave(const std::string& room_name, Room& room, const std::string& nick,
             const std::function<void(const std::string&)>& send, bool self_notice);
  // Removes an occupant against its will (kick 307, ban 301, membership lost 321,
  // kRemovedForTechnicalReasons): it and the others get its unavailable presence with `code`.
  static constexpr int kRemovedForTechnicalReasons = 333;  // XEP-0045 §15.6.2
  // How long an occupant held here may be missing from the record before it is
  // removed (restore says why); above a leader election with its first commit.
  static constexpr auto kUnrecordedSettle = std::chrono::milliseconds(2000);
  void remove_occupant(const std::string& room_name, const std::string& nick, int code, const Send& send);
  // A temporary space whose last occupant left is destroyed.
  void drop_if_temporary_and_empty(const std::string& room_name, const Send& send);
  // Checks before a join (XEP-0045 §7.2): an error condition ("type/condition"), or empty.
  std::string refuse_join(const std::string& room_name, const std::string& nick, const std::string& full_jid,
                          const xml::Element& stanza) const;
  void change_nick(const xml::Element& stanza, const std::string& room_name, const std::string& old_nick,
                   const std::string& new_nick, const std::string& payload, const Send& send);

  // Presence of occupant `nick` for `to`: item with affiliation and role (the real
  // JID when the room is non-anonymous or `to` is a moderator), then status codes.
  std::string presence_from(const std::string& room_name, const std::string& nick, const Occupant& occ,
                            const std::string& to, std::initializer_list<int> codes, bool unavailable = false,
                            const std::string& new_nick = {}) const;
  Affiliation affiliation(const std::string& room_name, const std::string& full_jid) const;
  bool is_moderator(const std::string& room_name, const std::string& full_jid) const;
  // The nick `full_jid` holds in the room (confirmed occupants only), or empty.
  std::string nick_of(const std::string& room_name, const std::string& full_jid) const;
  Status save_settings(const std::string& room_name, const RoomSettings& settings);
  std::string room_jid(const std::string& room_name) const { return room_name + "@" + domain_; }

  // spaces_messages.cpp
  void on_groupchat(const xml::Element& stanza, const std::string& room_name, const Send& send);
  void on_private_message(const xml::Element& stanza, const std::string& room_name, const std::string& to_nick,
                          const Send& send);
  void send_history(const PendingJoin& join, const Send& send);
  void send_subject(const std::string& room_name, const std::string& to, const Send& send);
  // tick's part: write_history once the oldest unwritten entry is kHistoryDelay old.
  void write_history_when_due(const Send& send);
  // The kept history (read from the store the first time); empty when it cannot be read.
  const std::vector<HistoryEntry>& history_of(const std::string& room_name);
  // spaces_history_read.cpp: a joiner's first read of a space's history, by the worker.
  // True when the history is here (or there is no worker: history_of reads it then);
  // otherwise its read is asked, and the join waits in pending_joins_ (recorded).
  bool history_at_hand(const std::string& room_name);
  // tick's part: the histories the worker read, and the joins that waited for them.
  void take_read_histories(const Send& send);
  // A recorded join (or rejoin) whose wait is over: let in, with the history if it is here.
  void finish_join(const PendingJoin& join, const Send& send);
  // spaces_owner.cpp
  void on_owner(const xml::Element& stanza, const xml::Element& query, const std::string& room_name, const Send& send);
  // spaces_admin.cpp
  void on_admin(const xml::Element& stanza, const xml::Element& query, const std::string& room_name, const Send& send);
  // spaces_disco.cpp
  void on_disco_info(const xml::Element& stanza, const Send& send);
  void on_disco_items(const xml::Element& stanza, const Send& send);
  void on_self_ping(const xml::Element& stanza, const Send& send);

  // Reads the names from the store; false when it could not (tried again after the next success).
  bool load();
  // The record kept with the XMPP service (component_occupants.h).
  // Returns the request's id.
  std::string record_join(const std::string& room_name, const std::string& nick, const Occupant& occ, const Send& send);
  // The nick's holder in the space, confirmed or pending: its full JID, or empty.
  std::string nick_holder(const std::string& room_name, const std::string& nick) const;
  bool is_pending(const std::string& room_name, const std::string& nick) const;
  // The service recorded the join: the joiner is let in and everyone hears of it.
  void complete_join(const PendingJoin& join, const Send& send);
  // A join (<x xmlns=muc/>) from the JID that already holds the nick: its client lost
  // its session (its node died, a resume failed) and joins again. It gets what a first
  // join gets (everyone's presence, its own with 110, history, subject), as XEP-0045
  // clients expect; the others see a presence update.
  void rejoin(const std::string& room_name, const std::string& nick, const Occupant& occupant,
              const xml::Element* muc_x, const Send& send);
  void send_rejoin(const PendingJoin& rejoin, const Send& send);
  // The join could not be recorded: answered with an error, nothing else changes.
  void fail_join(const PendingJoin& join, const Send& send);
  void expire_pending_joins(const Send& send);
  // Reads the store's spaces and settings again (see the header comment).
  void follow_store(const Send& send);
  // The part of follow_store after the reading (spaces_follow.cpp), also for the worker's snapshots.
  void follow(const StoreSnapshot& snapshot, const Send& send);
  // The history written so far, worker's queue included (before the store's copy is read or removed).
  void flush_history();
  static constexpr auto kFollowEvery = std::chrono::seconds(2);
  static constexpr auto kFollowAfterFailure = std::chrono::seconds(60);
  std::chrono::steady_clock::time_point follow_at_{};
  void record_leave(const std::string& room_name, const std::string& nick, const Send& send);
  void ask_occupants(const Send& send);
  void restore(const xml::Element& occupants, const Send& send);
  // Handles the stanzas held while the first answer about the occupants was awaited.
  void end_restoring(const Send& send);

  // Until the service has said who the occupants are (or kRestoreWait passed), a new
  // connection's stanzas wait: handled at once, an occupant of a room taken over (or
  // taken back) would be refused as a stranger. Bounded: past kHeldMax, at once.
  static constexpr auto kRestoreWait = std::chrono::seconds(3);
  static constexpr std::size_t kHeldMax = 1024;
  // How long a join waits for its record (the service answers once the store has it).
  static constexpr auto kJoinRecordWait = std::chrono::seconds(5);
  std::map<std::string, PendingJoin> pending_joins_;
  bool restoring_ = false;
  std::chrono::steady_clock::time_point restoring_until_{};
  std::deque<std::unique_ptr<xml::Document>> held_;

  std::string domain_;
  std::string server_domain_;  // the XMPP domain: domain_ after its first label
  SpaceStore& store_;
  StoreWorker* worker_ = nullptr;
  std::chrono::steady_clock::time_point ask_again_at_{};  // set while occupants are in doubt
  int asks_left_ = 0;
  // Occupants held here and missing from the record's last answer, since when (restore).
  std::map<std::pair<std::string, std::string>, std::chrono::steady_clock::time_point> unrecorded_since_;
  std::chrono::milliseconds unrecorded_settle_ = kUnrecordedSettle;
  // The occupants are read back every kRereadEvery while connected, not only on
  // connecting: a bridge that stayed connected to a node cut off from the others
  // served its occupants while a standby held the name on the majority's side and
  // recorded their removal; healed, the two disagreed until the next takeover
  // found occupants the record no longer had (seen in a chaos run: 4.3 s without the
  // space until they joined again).
  static constexpr auto kRereadEvery = std::chrono::seconds(5);
  std::chrono::milliseconds reread_every_ = kRereadEvery;
  std::chrono::steady_clock::time_point reread_at_{};
  int asked_ = 0;  // ids of the requests
  // The spaces known here, each with when it became known (follow: a snapshot whose
  // reading began earlier does not remove it).
  std::map<std::string, std::chrono::steady_clock::time_point> known_;
  // Adds `name` to known_ (true if it is new there), known since `since`.
  bool know(const std::string& name, std::chrono::steady_clock::time_point since = std::chrono::steady_clock::now());
  void forget(const std::string& name);
  bool loaded_ = false;
  std::map<std::string, Room> rooms_;
  std::map<std::string, RoomSettings> settings_;  // spaces with stored settings
  std::map<std::string, std::vector<HistoryEntry>> history_;  // read on first use
  // Spaces whose history the worker is reading, with the entries said since it was asked.
  std::map<std::string, std::vector<HistoryEntry>> history_reading_;
  // Group messages kept in history_ and not yet in the store (write_history).
  std::vector<std::pair<std::string, HistoryEntry>> history_unwritten_;
  std::chrono::steady_clock::time_point history_unwritten_since_;
};

// A result <iq/> answering `stanza`, with `payload` inside (may be empty).
std::string iq_result(const xml::Element& stanza, const std::string& payload);
// An error reply with a human-readable <text/> (XEP-0045 errors carry one where it helps).
std::string error_reply(const xml::Element& stanza, std::string_view type, std::string_view condition,
                        const std::string& text);

// An error reply to `stanza` (from/to swapped) with a stanza error condition.
std::string error_reply(const xml::Element& stanza, std::string_view type, std::string_view condition);

}  // namespace convene::callbridge
