#include "xmpp/cluster_router_path.h"

#include <gtest/gtest.h>

namespace convene::xmpp {
namespace {

constexpr std::uint64_t kSelf = 2, kLeader = 1, kTarget = 3;

// A follower whose copy is sure: everything known, fresh and answering.
PathView sure() {
  PathView v;
  v.self = kSelf;
  v.leader = kLeader;
  v.registry_current = true;
  v.leader_heard = true;
  v.target_member = true;
  return v;
}

TEST(ClusterRouterPath, SureCopyGoesStraightToTheHoldingNode) {
  EXPECT_EQ(choose_path(sure(), kTarget), (Hop{Hop::direct, kTarget}));
}

TEST(ClusterRouterPath, NoLeaderHoldsTheStanza) {
  auto v = sure();
  v.leader = 0;
  EXPECT_EQ(choose_path(v, kTarget), (Hop{Hop::hold, 0}));
}

TEST(ClusterRouterPath, LeaderChangeInProgressHoldsUntilTheNewRegistryArrived) {
  auto v = sure();
  v.registry_current = false;
  EXPECT_EQ(choose_path(v, kTarget), (Hop{Hop::hold, 0}));
}

TEST(ClusterRouterPath, EachUnsureCaseGoesThroughTheLeader) {
  auto silent_leader = sure();
  silent_leader.leader_heard = false;
  auto not_member = sure();
  not_member.target_member = false;
  auto absent = sure();
  absent.target_absent = true;
  auto stalled = sure();
  stalled.target_stalled = true;
  for (auto& v : {silent_leader, not_member, absent, stalled})
    EXPECT_EQ(choose_path(v, kTarget), (Hop{Hop::via_leader, kLeader}));
}

TEST(ClusterRouterPath, LeaderOrTargetLeadingIsOneHopWhateverElse) {
  PathView leading;  // the leader: its own copy is the registry, even when unsure of the target
  leading.self = kLeader;
  leading.leader = kLeader;
  leading.target_stalled = true;
  EXPECT_EQ(choose_path(leading, kTarget), (Hop{Hop::direct, kTarget}));
  auto to_leader = sure();
  to_leader.registry_current = false;
  to_leader.target_absent = true;
  EXPECT_EQ(choose_path(to_leader, kLeader), (Hop{Hop::direct, kLeader}));
}

}  // namespace
}  // namespace convene::xmpp
