#include "xmpp/cluster_router_path.h"

namespace convene::xmpp {

Hop choose_path(const PathView& v, std::uint64_t target) {
  if (v.leader == 0) return {Hop::hold, 0};  // nobody to ask: resent once a leader is known
  // One hop either way: the leader delivers itself, or the target leads.
  if (v.self == v.leader || target == v.leader) return {Hop::direct, target};
  // A leader change in progress: this copy may lack what was sent to the old
  // leader, and the holding node may not know the new leader yet (it refuses its
  // deliveries). Waiting for the new leader's registry costs one round trip.
  if (!v.registry_current) return {Hop::hold, 0};
  // Unsure where the recipient is, or whether the holding node hears this one:
  // the leader, which hears everyone and holds the registry, passes it on.
  if (!v.leader_heard || !v.target_member || v.target_absent || v.target_stalled)
    return {Hop::via_leader, v.leader};
  return {Hop::direct, target};
}

}  // namespace convene::xmpp
