#include "xmpp/cluster_router_sender.h"

#include <gtest/gtest.h>

namespace convene::xmpp {
namespace {

RouterMessage msg(RouterMessageType type, std::uint64_t node) {
  RouterMessage m;
  m.type = type;
  m.node = node;
  return m;
}

TEST(ClusterRouterSender, MemberSpeaksForItselfAndTheLeaderPassesOn) {
  const std::uint64_t leader = 1, a = 2, b = 3;
  for (auto t : {RouterMessageType::session_up, RouterMessageType::session_down, RouterMessageType::component_up,
                 RouterMessageType::component_down, RouterMessageType::node_sessions}) {
    EXPECT_TRUE(may_send(msg(t, a), a, leader));
    EXPECT_TRUE(may_send(msg(t, a), leader, leader)) << "the leader passes a's change on";
    EXPECT_FALSE(may_send(msg(t, a), b, leader)) << "b may not speak for a";
    EXPECT_FALSE(may_send(msg(t, a), b, 0));
  }
  EXPECT_TRUE(may_send(msg(RouterMessageType::register_node, a), a, leader));
  EXPECT_FALSE(may_send(msg(RouterMessageType::register_node, a), leader, leader));
}

TEST(ClusterRouterSender, OnlyTheLeaderFreesAnotherMembersCallBridge) {
  const std::uint64_t leader = 1, a = 2, b = 3;
  EXPECT_TRUE(may_send(msg(RouterMessageType::bridge_freed, a), leader, leader));
  EXPECT_FALSE(may_send(msg(RouterMessageType::bridge_freed, a), b, leader)) << "b is not the leader";
  EXPECT_FALSE(may_send(msg(RouterMessageType::bridge_freed, a), a, leader)) << "a says it is gone: component_down";
  EXPECT_FALSE(may_send(msg(RouterMessageType::bridge_freed, a), leader, 0)) << "no leader known";
}

TEST(ClusterRouterSender, StanzasComeFromTheirOriginOrThroughTheLeader) {
  const std::uint64_t leader = 1, a = 2, b = 3;
  EXPECT_TRUE(may_send(msg(RouterMessageType::relay, a), a, leader));
  EXPECT_FALSE(may_send(msg(RouterMessageType::relay, a), b, leader));
  EXPECT_TRUE(may_send(msg(RouterMessageType::deliver, a), leader, leader));
  EXPECT_FALSE(may_send(msg(RouterMessageType::deliver, a), b, leader));
  EXPECT_TRUE(may_send(msg(RouterMessageType::delivered, b), b, leader));
  EXPECT_FALSE(may_send(msg(RouterMessageType::delivered, b), leader, leader));
}

TEST(ClusterRouterSender, AFormerHolderOfACallBridgeSpeaksForItForAWhile) {
  // The room's messages a standby sent through its node before it yielded are
  // resent by that node until confirmed: refused once the name moved, they never
  // reached the occupants.
  using namespace std::chrono_literals;
  const auto now = std::chrono::steady_clock::now();
  const std::uint64_t here = 0, a = 2, b = 3;
  std::map<std::uint64_t, std::chrono::steady_clock::time_point> former;
  EXPECT_TRUE(may_speak_for_bridge(a, former, a, now, 30s)) << "the holder";
  EXPECT_TRUE(may_speak_for_bridge(std::nullopt, former, a, now, 30s)) << "nobody holds it";
  EXPECT_FALSE(may_speak_for_bridge(here, former, a, now, 30s)) << "held here, never by a";
  EXPECT_FALSE(may_speak_for_bridge(b, former, a, now, 30s));
  former[a] = now - 5s;
  EXPECT_TRUE(may_speak_for_bridge(here, former, a, now, 30s)) << "a held it 5 s ago";
  EXPECT_TRUE(may_speak_for_bridge(b, former, a, now, 30s));
  former[a] = now - 31s;
  EXPECT_FALSE(may_speak_for_bridge(here, former, a, now, 30s)) << "too long ago";
}

TEST(ClusterRouterSender, AMemberSpeaksForItsOwnUsersAlsoWhenItsStanzaComesBackThroughTheLeader) {
  const std::uint64_t self = 7, a = 2, b = 3;
  const std::optional<std::uint64_t> here = 0, at_a = a, nowhere;
  EXPECT_TRUE(held_by_origin(at_a, a, self));
  EXPECT_TRUE(held_by_origin(nowhere, a, self));
  EXPECT_FALSE(held_by_origin(at_a, b, self)) << "b may not speak for a's user";
  EXPECT_FALSE(held_by_origin(here, a, self)) << "a may not speak for this node's user";
  EXPECT_TRUE(held_by_origin(here, self, self)) << "this node's own stanza, passed back to it by the leader";
}

TEST(ClusterRouterSender, ANodeTakesOnOnlyStanzasForSessionsItHolds) {
  const std::optional<std::uint64_t> here = 0, elsewhere = 3, nowhere;
  EXPECT_TRUE(takes_on_forwarded(here));
  EXPECT_FALSE(takes_on_forwarded(elsewhere))
      << "moved to a third node: routed from here it is refused there, as from a user this node may not speak for";
  EXPECT_FALSE(takes_on_forwarded(nowhere)) << "ended: its origin routes it (offline storage, another resource)";
}

TEST(ClusterRouterSender, StanzaFromIsReadPlainlyOrNotAtAll) {
  EXPECT_EQ(stanza_from("<message from='a@x/r' to='b@x'><body/></message>"), "a@x/r");
  EXPECT_EQ(stanza_from("<presence to=\"b@x\"  from = \"a@x/r&amp;s\"/>"), "a@x/r&s");
  EXPECT_EQ(stanza_from("<iq type='get' id='1'><ping/></iq>"), "");
  EXPECT_EQ(stanza_from("<iq xml:from='a@x/r' data-from='b'/>"), "");
  EXPECT_EQ(stanza_from("<message from='a@x/r' from='b@x/r'/>"), std::nullopt) << "twice";
  EXPECT_EQ(stanza_from("<message from='a&#64;x/r'/>"), std::nullopt) << "a character reference";
  EXPECT_EQ(stanza_from("<message from='a@x/r"), std::nullopt);
  EXPECT_EQ(stanza_from("<message from=a@x/r>"), std::nullopt);
  EXPECT_EQ(stanza_from("message"), std::nullopt);
  EXPECT_EQ(stanza_from(""), std::nullopt);
}

}  // namespace
}  // namespace convene::xmpp
