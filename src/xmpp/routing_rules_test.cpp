#include "xmpp/routing_rules.h"

#include <gtest/gtest.h>

#include <vector>

namespace convene::xmpp {
namespace {

using Action = RouteDecision::Action;

SessionView s(int priority, bool available = true, bool match = false) { return {priority, available, match}; }

TEST(RoutingRules, MessageToBareGoesToHighestNonNegativePriority) {
  std::vector<SessionView> v{s(1), s(5), s(5), s(-1)};
  auto d = decide_route(StanzaKind::message, "chat", false, true, v);
  EXPECT_EQ(d.action, Action::deliver);
  EXPECT_EQ(d.targets, 0b0110u);  // both priority-5 sessions, not 1, not -1
}

TEST(RoutingRules, NegativePriorityOrUnavailableMeansOffline) {
  std::vector<SessionView> v{s(-1), s(10, false)};
  EXPECT_EQ(decide_route(StanzaKind::message, "", false, true, v).action, Action::offline);
  EXPECT_EQ(decide_route(StanzaKind::message, "chat", false, true, {}).action, Action::offline);
  // headline is never stored
  EXPECT_EQ(decide_route(StanzaKind::message, "headline", false, true, v).action, Action::drop);
}

TEST(RoutingRules, FullJidMatchWinsEvenWithNegativePriority) {
  std::vector<SessionView> v{s(5), s(-3, true, true)};
  auto d = decide_route(StanzaKind::message, "chat", true, true, v);
  EXPECT_EQ(d.action, Action::deliver);
  EXPECT_EQ(d.targets, 0b10u);
}

TEST(RoutingRules, UnknownResourceMessageFallsBackToBare) {
  std::vector<SessionView> v{s(0), s(2)};
  auto d = decide_route(StanzaKind::message, "chat", true, true, v);
  EXPECT_EQ(d.action, Action::deliver);
  EXPECT_EQ(d.targets, 0b10u);
}

TEST(RoutingRules, IqToUnknownResourceIsServiceUnavailable) {
  std::vector<SessionView> v{s(0)};
  auto d = decide_route(StanzaKind::iq, "get", true, true, v);
  EXPECT_EQ(d.action, Action::error);
  EXPECT_EQ(d.error_condition, "service-unavailable");
  EXPECT_EQ(decide_route(StanzaKind::iq, "result", true, true, v).action, Action::drop);
  // to the bare JID the server answers for the account
  EXPECT_EQ(decide_route(StanzaKind::iq, "get", false, true, v).action, Action::server);
}

TEST(RoutingRules, NoSuchUser) {
  EXPECT_EQ(decide_route(StanzaKind::message, "chat", false, false, {}).action, Action::error);
  EXPECT_EQ(decide_route(StanzaKind::message, "error", false, false, {}).action, Action::drop);
  EXPECT_EQ(decide_route(StanzaKind::presence, "", false, false, {}).action, Action::drop);
  EXPECT_EQ(decide_route(StanzaKind::iq, "get", true, false, {}).action, Action::error);
}

TEST(RoutingRules, PresenceToBareGoesToAllAvailable) {
  std::vector<SessionView> v{s(-5), s(3), s(1, false)};
  auto d = decide_route(StanzaKind::presence, "", false, true, v);
  EXPECT_EQ(d.action, Action::deliver);
  EXPECT_EQ(d.targets, 0b011u);
  EXPECT_EQ(decide_route(StanzaKind::presence, "subscribe", false, true, v).action, Action::server);
  EXPECT_EQ(decide_route(StanzaKind::presence, "subscribe", true, true, v).action, Action::server);
  // directed presence to an unknown resource is dropped
  EXPECT_EQ(decide_route(StanzaKind::presence, "", true, true, v).action, Action::drop);
}

TEST(RoutingRules, GroupchatToUserIsAnError) {
  std::vector<SessionView> v{s(0)};
  EXPECT_EQ(decide_route(StanzaKind::message, "groupchat", false, true, v).action, Action::error);
}

}  // namespace
}  // namespace convene::xmpp
