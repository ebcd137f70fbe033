#pragma once
// Who is in which meeting space of which call bridge: the part of XmppState
// (xmpp_state.h) that lets a call bridge's occupants outlive the process serving
// them. A call bridge records every join and leave here (xmpp/component_occupants.h);
// the instance that takes its name over after a node died (or the same bridge
// restarted) reads them back and carries on with the same rooms. Replicated with
// the rest of the table, so any node's copy can answer.
//
// Commands (applied by XmppState, in log order):
//   {"op":"space.join","bridge":b,"space":s,"nick":n,"jid":full,"presence":xml}  (adds or replaces the nick)
//   {"op":"space.leave","bridge":b,"space":s,"nick":n}                           (absent: no error)
// Deterministic like the table; a command that fails changes nothing.
//
// Thread-safety: none of its own; XmppState's lock covers it.
#include <cstddef>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "util/result.h"
#include "xmpp/store.h"

namespace convene::xmpp {

class SpaceOccupants {
 public:
  // A bound per bridge: an authenticated component still must not grow every
  // replica's table without limit.
  static constexpr size_t kMaxPerBridge = 10000;

  Status join(const nlohmann::json& command);
  Status leave(const nlohmann::json& command);
  void drop_bridge(const std::string& bridge) { bridges_.erase(bridge); }
  void clear() { bridges_.clear(); }

  std::vector<SpaceOccupant> of(const std::string& bridge) const;  // by space, then nick

  // {"cb1":{"room1":{"Alice":{"jid":..,"presence":..}}}}; an absent key restores empty.
  nlohmann::json snapshot() const;
  static Result<SpaceOccupants> restore(const nlohmann::json& snapshot);

 private:
  struct Entry {
    std::string jid, presence;
  };
  using Room = std::map<std::string, Entry>;               // nick →
  std::map<std::string, std::map<std::string, Room>> bridges_;  // bridge → space →
};

}  // namespace convene::xmpp
