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
