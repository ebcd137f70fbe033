#pragma once
// The XMPP service's durable, shared state: users (SCRAM credentials only, never
// passwords), rosters, offline messages and call-bridge secrets.
//
// Replicated things in three parts: every write is a
// StoreCommand (a JSON object such as {"op":"user.add",...}); an XmppState table
// applies committed commands deterministically; a store decides how a command
// becomes committed. The local store (local_store.h) appends it to a log on disk
// and fsyncs; the cluster store replicates it through Raft. Readers see
// this node's copy of the table.
//
// Thread-safety: every member may be called from any thread. `done` callbacks run
// on an unspecified thread, once the command is durable (or failed); they must not
// block.
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "util/result.h"
#include "xmpp_core/scram.h"

namespace convene::xmpp {

using StoreCommand = nlohmann::json;
using StoreDone = std::function<void(Status)>;

enum class Subscription { none, to, from, both };

// Every member has an initializer, so RosterItem{"bob@x"} sets the rest to their
// defaults without a -Wmissing-field-initializers warning.
struct RosterItem {
  std::string jid{};                // bare JID of the contact
  std::string name{};               // may be empty
  Subscription subscription = Subscription::none;
  bool ask_subscribe = false;       // we asked the contact (RFC 6121 "ask='subscribe'")
  bool pending_in = false;          // the contact asked us and we have not answered
  std::vector<std::string> groups{};
};

struct OfflineMessage {
  uint64_t id = 0;
  std::string to;       // bare JID of the recipient
  std::string stanza;   // the message as XML, with its from/to
  int64_t stamp = 0;    // seconds since the epoch, for XEP-0203 delay
};

struct CallBridge {
  std::string name;     // without domain: "cb1"
  std::string secret;
};

// One occupant of a call bridge's meeting space (space_occupants.h).
struct SpaceOccupant {
  std::string space;     // "room1"
  std::string nick;      // "Alice"
  std::string jid;       // the user's full JID
  std::string presence;  // its last <show/>/<status/>, serialized
  bool operator==(const SpaceOccupant&) const = default;
};

// Who hears that an offline message was applied to this node's copy of the
// table (XmppStore::on_offline_stored). stored() runs the listener under a shared
// lock, so set(nullptr) returns only once no call is in progress.
class OfflineListener {
 public:
  void set(std::function<void(const std::string& user)> fn) {
    std::unique_lock lock(mu_);
    fn_ = std::move(fn);
  }
  void stored(const std::string& user) const {
    std::shared_lock lock(mu_);
    if (fn_) fn_(user);
  }

 private:
  mutable std::shared_mutex mu_;
  std::function<void(const std::string& user)> fn_;
};

class XmppStore {
 public:
  virtual ~XmppStore() = default;

  // `fn(user)` runs each time an offline message for `user` (a localpart) has been
  // applied to this node's copy, whichever node stored it, on the thread that
  // applied it: it must not block nor write to the store. nullptr: no more calls
  // once this returns. Why: the node that stores a message offline may not know yet
  // of a session its user opened on another node a moment ago (a cluster's copies of
  // the session registry lag), and that session's initial presence may have read the
  // offline store before the message was applied there; the node holding the session
  // hears of it here and delivers it (offline.cpp). One listener at a time.
  virtual void on_offline_stored(std::function<void(const std::string& user)> fn) { (void)fn; }

  // Writes. `done` runs once the command is durable (local: fsynced; cluster:
  // committed by a majority) and applied to this node's table, or with the reason
  // it was refused (e.g. "user exists", "no majority: this node is cut off").
  virtual void submit(StoreCommand command, StoreDone done) = 0;
  // The same, waiting for the outcome (admin commands).
  Status submit_and_wait(StoreCommand command);

  // Reads from this node's copy.
  virtual std::optional<ScramCredentials> credentials(std::string_view user, ScramHash hash) const = 0;
  virtual bool user_exists(std::string_view user) const = 0;
  virtual std::vector<std::string> users() const = 0;
  virtual std::vector<RosterItem> roster(std::string_view user) const = 0;
  virtual std::optional<RosterItem> roster_item(std::string_view user, std::string_view contact) const = 0;
  virtual std::vector<OfflineMessage> offline_messages(std::string_view user) const = 0;
  virtual std::optional<CallBridge> callbridge(std::string_view name) const = 0;
  virtual std::vector<CallBridge> callbridges() const = 0;
  // The recorded occupants of call bridge `name`'s spaces, by space then nick.
  virtual std::vector<SpaceOccupant> space_occupants(std::string_view name) const = 0;
};

}  // namespace convene::xmpp
