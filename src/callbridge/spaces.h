#pragma once
// Meeting spaces: the subset of multi-user chat (XEP-0045) that real clients speak,
// on the call bridge's component domain (cb1.tptac9.com):
//  - join: available presence to space@cb1.<domain>/nick. The joiner gets the
//    presence of every occupant, then its own with status 110 (and 201 when the
//    space was created by this join), then the (empty) subject; everyone else gets
//    the new occupant's presence. A nick held by someone else: <conflict/>.
//  - groupchat messages from an occupant to space@cb1.<domain> go to every occupant
//    (the sender too, as XEP-0045 §7.4 says), from space@.../nick.
//  - leave: unavailable presence (or a presence error bounced from the occupant).
//    Everyone gets its unavailable presence; the leaver's own carries status 110.
// Spaces are created on first join and persisted (SpaceStore); occupants are live
// state kept in this process, so they survive the loss of an XMPP server (the
// connector simply reconnects elsewhere) but not a call-bridge restart.
//
// The names of the spaces are kept in memory too (read from the store at start,
// added to on creation): joining a known space and every message need no database
// round trip, so occupants keep talking while the database cluster fails over;
// only creating a space waits for the store.
//
// Thread-safety: used by the connector thread only.
#include <functional>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "callbridge/space_store.h"
#include "xml/element.h"

namespace convene::callbridge {

class Spaces {
 public:
  Spaces(std::string component_domain, SpaceStore& store);

  // Handle one stanza addressed to the component; `send` receives every stanza to write.
  void handle(const xml::Element& stanza, const std::function<void(const std::string&)>& send);

  std::vector<std::string> names() const;
  int occupant_count() const;
  StoreInfo store_info() const { return store_.info(); }

 private:
  struct Occupant {
    std::string jid;       // full JID of the user
    std::string presence;  // serialized <show/>, <status/> children of its last presence
  };
  struct Room {
    std::map<std::string, Occupant> by_nick;
  };

  void on_presence(const xml::Element& stanza, const std::function<void(const std::string&)>& send);
  void on_message(const xml::Element& stanza, const std::function<void(const std::string&)>& send);
  void on_iq(const xml::Element& stanza, const std::function<void(const std::string&)>& send);
  void leave(const std::string& room_name, Room& room, const std::string& nick,
             const std::function<void(const std::string&)>& send, bool self_notice);

  // Reads the names from the store; false when it could not (tried again after the next success).
  bool load();

  std::string domain_;
  SpaceStore& store_;
  std::set<std::string> known_;
  bool loaded_ = false;
  std::map<std::string, Room> rooms_;
};

// An error reply to `stanza` (from/to swapped) with a stanza error condition.
std::string error_reply(const xml::Element& stanza, std::string_view type, std::string_view condition);

}  // namespace convene::callbridge
