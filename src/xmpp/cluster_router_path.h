#pragma once
// Which member a forwarded stanza is sent to next (cluster_router.h, "Direct or
// through the leader"): straight to the node holding the recipient, through the
// leader while this node's copy of the registry is unsure, or nowhere yet.
// A pure function of what this node sees now, so it can be tested alone.
#include <cstdint>

namespace convene::xmpp {

// What the choice depends on, as the origin sees it when it sends.
struct PathView {
  std::uint64_t self = 0;
  std::uint64_t leader = 0;       // 0: no leader known
  bool registry_current = false;  // this node has had `leader`'s whole registry since it last changed leader
  bool leader_heard = false;      // bytes came from the leader lately (a follower; the leader itself: true)
  bool target_member = false;     // the holding node is in this node's view of the configuration
  bool target_stalled = false;    // a stanza sent straight to it went unconfirmed lately
  bool target_absent = false;     // the recipient is an absent session (its node went silent)
};

struct Hop {
  enum Kind { hold, direct, via_leader } kind = hold;
  std::uint64_t member = 0;  // whom to send to (0 when held)
  bool operator==(const Hop&) const = default;
};

// The hop for a stanza to a session held by member `target`.
Hop choose_path(const PathView& view, std::uint64_t target);

}  // namespace convene::xmpp
