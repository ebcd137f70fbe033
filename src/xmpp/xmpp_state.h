#pragma once
// The XMPP service's shared state as a deterministic table (the replicated things'
// "table" part): users with their SCRAM credentials, rosters, offline messages and
// call-bridge secrets, changed only by apply()-ing StoreCommands in log order.
//
// Determinism is the contract: two tables that start from the same snapshot and
// apply the same commands in the same order end equal, including the errors they
// return and the offline-message ids they assign (a counter in the table, never a
// clock or a random number). That is what lets a local log (local_store.h) or a Raft
// log rebuild it. A command that fails changes nothing.
//
// Commands (JSON objects; user names are JID localparts and are prepared with
// prepare_localpart, so "Alice" and "alice" are one user):
//   {"op":"user.add","user":u,"sha1":<encode_credentials>,"sha256":<encode_credentials>}
//   {"op":"user.passwd", same fields}              the user must exist
//   {"op":"user.del","user":u}                     also drops roster and offline messages
//   {"op":"roster.set","user":u,"item":{"jid":j,"name":n,"subscription":"none|to|from|both",
//                                       "ask":bool,"pending_in":bool,"groups":[..]}}
//   {"op":"roster.remove","user":u,"jid":j}
//   {"op":"offline.push","user":u,"stanza":xml,"stamp":t[,"to":bare-jid]}
//   {"op":"offline.pop","user":u,"up_to":id}       drops the user's messages with id <= up_to
//   {"op":"callbridge.set","name":n,"secret":s,"replace":bool}
//   {"op":"callbridge.del","name":n}              also drops its space occupants
//   {"op":"space.join",...} {"op":"space.leave",...}  space_occupants.h
//   {"op":"reset"}
//
// Thread-safety: apply() takes a writer lock, queries a reader lock; any thread may
// call anything. Callers that need check-then-act across calls serialize writes
// themselves (the stores do: one writer applies commands in log order).
#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "util/result.h"
#include "xmpp/callbridge_name.h"
#include "xmpp/space_occupants.h"
#include "xmpp/store.h"
#include "xmpp_core/scram.h"

namespace convene::xmpp {

class XmppState {
 public:
  // Refused beyond this many offline messages per user: a flood to an absent user
  // must not grow the store (and every replica) without bound.
  static constexpr size_t kMaxOfflinePerUser = 1000;

  XmppState() = default;
  XmppState(XmppState&& other) noexcept;
  XmppState& operator=(XmppState&& other) noexcept;
  XmppState(const XmppState&) = delete;
  XmppState& operator=(const XmppState&) = delete;

  Status apply(const StoreCommand& command);

  // The whole table as JSON ({"format":1,...}); restore(snapshot()) is equal to it.
  nlohmann::json snapshot() const;
  static Result<XmppState> restore(const nlohmann::json& snapshot);

  // Reads, as XmppStore's (store.h). `user` is prepared first; a name that cannot be
  // a localpart finds nothing.
  std::optional<ScramCredentials> credentials(std::string_view user, ScramHash hash) const;
  bool user_exists(std::string_view user) const;
  std::vector<std::string> users() const;  // sorted
  std::vector<RosterItem> roster(std::string_view user) const;  // sorted by JID
  std::optional<RosterItem> roster_item(std::string_view user, std::string_view contact) const;
  std::vector<OfflineMessage> offline_messages(std::string_view user) const;  // id order
  std::optional<CallBridge> callbridge(std::string_view name) const;
  std::vector<CallBridge> callbridges() const;  // sorted by name
  std::vector<SpaceOccupant> space_occupants(std::string_view name) const;

  // The id the next offline.push gets (for tests and diagnostics).
  uint64_t next_offline_id() const;

 private:
  struct User {
    ScramCredentials sha1, sha256;
    std::map<std::string, RosterItem, std::less<>> roster;  // by bare JID
    std::deque<OfflineMessage> offline;                     // ascending ids
  };

  Status apply_locked(const StoreCommand& command);
  Status add_or_passwd(const StoreCommand& command, bool add);
  Status user_del(const StoreCommand& command);
  Status roster_set(const StoreCommand& command);
  Status roster_remove(const StoreCommand& command);
  Status offline_push(const StoreCommand& command);
  Status offline_pop(const StoreCommand& command);
  Status callbridge_set(const StoreCommand& command);
  Status callbridge_del(const StoreCommand& command);

  const User* find_user(std::string_view user) const;

  mutable std::shared_mutex mutex_;
  std::map<std::string, User, std::less<>> users_;
  std::map<std::string, std::string, std::less<>> callbridges_;  // name -> secret
  SpaceOccupants occupants_;
  uint64_t next_offline_id_ = 1;
};

// Text forms of a subscription state ("none", "to", "from", "both").
std::string_view subscription_name(Subscription subscription);
std::optional<Subscription> parse_subscription(std::string_view text);

}  // namespace convene::xmpp
