#include "xmpp/store_commands.h"

#include <gtest/gtest.h>

#include "xmpp/xmpp_state.h"

namespace convene::xmpp {
namespace {

ScramCredentials creds(ScramHash hash) {
  auto c = derive_credentials(hash, "pw", "0123456789abcdef", 4096);
  EXPECT_TRUE(c) << c.error().text();
  return *c;
}

TEST(StoreCommands, ShapesAreWhatTheTableApplies) {
  XmppState s;
  auto sha1 = creds(ScramHash::sha1), sha256 = creds(ScramHash::sha256);
  ASSERT_TRUE(s.apply(cmd::user_add("alice", sha1, sha256)));
  EXPECT_TRUE(s.user_exists("alice"));
  ASSERT_TRUE(s.apply(cmd::user_passwd("alice", sha1, sha256)));

  RosterItem bob{"bob@example.com", "Bob", Subscription::to, false, true, {"friends"}};
  ASSERT_TRUE(s.apply(cmd::roster_set("alice", bob)));
  auto roster = s.roster("alice");
  ASSERT_EQ(roster.size(), 1u);
  EXPECT_EQ(roster[0].name, "Bob");
  EXPECT_EQ(roster[0].subscription, Subscription::to);
  EXPECT_TRUE(roster[0].pending_in);
  EXPECT_EQ(roster[0].groups, std::vector<std::string>{"friends"});
  ASSERT_TRUE(s.apply(cmd::roster_remove("alice", "bob@example.com")));
  EXPECT_TRUE(s.roster("alice").empty());

  ASSERT_TRUE(s.apply(cmd::offline_push("alice", "<message/>", 1000)));
  ASSERT_TRUE(s.apply(cmd::offline_push("alice", "<message/>", 1001, "alice@example.com")));
  auto messages = s.offline_messages("alice");
  ASSERT_EQ(messages.size(), 2u);
  EXPECT_EQ(messages[1].stamp, 1001);
  ASSERT_TRUE(s.apply(cmd::offline_pop("alice", messages[0].id)));
  EXPECT_EQ(s.offline_messages("alice").size(), 1u);

  ASSERT_TRUE(s.apply(cmd::callbridge_set("cb1", "secret", false)));
  EXPECT_FALSE(s.apply(cmd::callbridge_set("cb1", "other", false)));
  ASSERT_TRUE(s.apply(cmd::callbridge_set("cb1", "other", true)));
  EXPECT_EQ(s.callbridge("cb1")->secret, "other");
  ASSERT_TRUE(s.apply(cmd::callbridge_del("cb1")));
  EXPECT_FALSE(s.callbridge("cb1"));

  ASSERT_TRUE(s.apply(cmd::user_del("alice")));
  EXPECT_FALSE(s.user_exists("alice"));
  ASSERT_TRUE(s.apply(cmd::user_add("alice", sha1, sha256)));
  ASSERT_TRUE(s.apply(cmd::reset()));
  EXPECT_FALSE(s.user_exists("alice"));
}

TEST(StoreCommands, OfflinePushOmitsAbsentRecipient) {
  EXPECT_FALSE(cmd::offline_push("alice", "<message/>", 1).contains("to"));
  EXPECT_EQ(cmd::offline_push("alice", "<message/>", 1, "a@b")["to"], "a@b");
}

}  // namespace
}  // namespace convene::xmpp
