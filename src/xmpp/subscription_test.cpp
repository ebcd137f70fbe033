#include "xmpp/subscription.h"

#include <gtest/gtest.h>

#include "xmpp/component.h"
#include "xmpp/memory_store_for_tests.h"

namespace convene::xmpp {
namespace {

TEST(Subscription, FullHandshakeBothWays) {
  RosterItem alice_bob{"bob@x"}, bob_alice{"alice@x"};
  // alice asks bob
  EXPECT_TRUE(outbound_subscribe(alice_bob));
  EXPECT_TRUE(alice_bob.ask_subscribe);
  EXPECT_EQ(inbound_subscribe(bob_alice), Inbound::deliver);
  EXPECT_TRUE(bob_alice.pending_in);
  // bob approves
  EXPECT_TRUE(outbound_subscribed(bob_alice));
  EXPECT_EQ(bob_alice.subscription, Subscription::from);
  EXPECT_FALSE(bob_alice.pending_in);
  EXPECT_EQ(inbound_subscribed(alice_bob), Inbound::deliver);
  EXPECT_EQ(alice_bob.subscription, Subscription::to);
  EXPECT_FALSE(alice_bob.ask_subscribe);
  // and back
  outbound_subscribe(bob_alice);
  EXPECT_EQ(inbound_subscribe(alice_bob), Inbound::deliver);
  EXPECT_TRUE(outbound_subscribed(alice_bob));
  EXPECT_EQ(inbound_subscribed(bob_alice), Inbound::deliver);
  EXPECT_EQ(alice_bob.subscription, Subscription::both);
  EXPECT_EQ(bob_alice.subscription, Subscription::both);
  // an already-approved request is answered by the server
  EXPECT_EQ(inbound_subscribe(bob_alice), Inbound::auto_subscribed);
}

TEST(Subscription, UnsolicitedSubscribedIsIgnored) {
  RosterItem i{"eve@x"};
  EXPECT_EQ(inbound_subscribed(i), Inbound::ignore);
  EXPECT_EQ(i.subscription, Subscription::none);
  EXPECT_FALSE(outbound_subscribed(i));  // nothing pending to approve
}

TEST(Subscription, Cancellation) {
  RosterItem u{"c@x", "", Subscription::both};
  EXPECT_TRUE(outbound_unsubscribe(u));
  EXPECT_EQ(u.subscription, Subscription::from);
  RosterItem c{"u@x", "", Subscription::both};
  EXPECT_EQ(inbound_unsubscribe(c), Inbound::deliver);
  EXPECT_EQ(c.subscription, Subscription::to);
  EXPECT_FALSE(outbound_unsubscribed(c));  // c no longer grants u anything
  EXPECT_EQ(c.subscription, Subscription::to);
  RosterItem f{"u@x", "", Subscription::from};
  EXPECT_TRUE(outbound_unsubscribed(f));
  EXPECT_EQ(f.subscription, Subscription::none);
  EXPECT_EQ(inbound_unsubscribed(u), Inbound::ignore);  // 'to' already gone
  EXPECT_EQ(u.subscription, Subscription::from);
}

TEST(Subscription, StoreCommandRoundTripsThroughTheTwin) {
  testing::MemoryStore store;
  RosterItem i{"bob@x", "Bob", Subscription::to, true, false, {"friends"}};
  store.submit(roster_set_command("alice", i), nullptr);
  auto back = store.roster_item("alice", "bob@x");
  ASSERT_TRUE(back);
  EXPECT_EQ(back->subscription, Subscription::to);
  EXPECT_TRUE(back->ask_subscribe);
  EXPECT_EQ(back->groups, std::vector<std::string>{"friends"});
  EXPECT_EQ(store.log[0]["item"]["subscription"], "to");
}

TEST(Subscription, PendingInboundRequestIsNotPartOfTheRoster) {
  RosterItem i{"bob@x"};
  inbound_subscribe(i);
  EXPECT_FALSE(visible_in_roster(i));
  outbound_subscribed(i);
  EXPECT_TRUE(visible_in_roster(i));
}

}  // namespace
}  // namespace convene::xmpp
