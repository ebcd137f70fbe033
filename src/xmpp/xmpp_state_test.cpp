#include "xmpp/xmpp_state.h"

#include <gtest/gtest.h>

namespace convene::xmpp {
namespace {

using nlohmann::json;

std::string creds(ScramHash hash, const std::string& password) {
  auto c = derive_credentials(hash, password, "0123456789abcdef", 4096);
  EXPECT_TRUE(c) << c.error().text();
  return encode_credentials(*c);
}

json user_cmd(const std::string& op, const std::string& user, const std::string& password = "pw") {
  return {{"op", op},
          {"user", user},
          {"sha1", creds(ScramHash::sha1, password)},
          {"sha256", creds(ScramHash::sha256, password)}};
}

json push(const std::string& user, const std::string& body, int64_t stamp = 1000) {
  return {{"op", "offline.push"}, {"user", user}, {"stanza", "<message><body>" + body + "</body></message>"},
          {"stamp", stamp}};
}

TEST(XmppState, UsersAddPasswdDel) {
  XmppState s;
  ASSERT_TRUE(s.apply(user_cmd("user.add", "Alice")));
  EXPECT_TRUE(s.user_exists("alice"));  // prepared: one user whatever the case
  EXPECT_TRUE(s.user_exists("ALICE"));
  auto again = s.apply(user_cmd("user.add", "alice"));
  ASSERT_FALSE(again);
  EXPECT_NE(again.error().message.find("already exists"), std::string::npos);

  auto before = s.credentials("alice", ScramHash::sha256);
  ASSERT_TRUE(before);
  EXPECT_TRUE(verify_password(*before, "pw"));
  ASSERT_TRUE(s.apply(user_cmd("user.passwd", "alice", "new")));
  EXPECT_TRUE(verify_password(*s.credentials("alice", ScramHash::sha1), "new"));
  EXPECT_FALSE(s.apply(user_cmd("user.passwd", "bob")));
  EXPECT_FALSE(s.user_exists("bob"));

  ASSERT_TRUE(s.apply(user_cmd("user.add", "bob")));
  EXPECT_EQ(s.users(), (std::vector<std::string>{"alice", "bob"}));
  ASSERT_TRUE(s.apply({{"op", "user.del"}, {"user", "bob"}}));
  EXPECT_FALSE(s.apply({{"op", "user.del"}, {"user", "bob"}}));
  EXPECT_EQ(s.users(), (std::vector<std::string>{"alice"}));
}

TEST(XmppState, BadCommandsChangeNothing) {
  XmppState s;
  ASSERT_TRUE(s.apply(user_cmd("user.add", "alice")));
  json before = s.snapshot();
  auto swapped = user_cmd("user.add", "carol");
  std::swap(swapped["sha1"], swapped["sha256"]);  // each field must hold its own hash
  for (const json& bad : {json("text"), json{{"op", "nope"}}, json{{"op", "user.add"}, {"user", "a b"}},
                          json{{"op", "user.add"}, {"user", "carol"}, {"sha1", "x"}, {"sha256", "y"}}, swapped,
                          json{{"op", "roster.set"}, {"user", "alice"}, {"item", {{"jid", "bob@x"}, {"subscription", "maybe"}}}},
                          json{{"op", "roster.set"}, {"user", "nobody"}, {"item", {{"jid", "bob@x"}}}},
                          json{{"op", "offline.push"}, {"user", "alice"}, {"stanza", "<m/>"}},
                          json{{"op", "callbridge.set"}, {"name", "cb.1"}, {"secret", "s"}},
                          json{{"op", "callbridge.set"}, {"name", "cb1"}, {"secret", ""}}}) {
    EXPECT_FALSE(s.apply(bad)) << bad.dump();
    EXPECT_EQ(s.snapshot(), before) << bad.dump();
  }
}

TEST(XmppState, RosterSetReplacesAndRemoves) {
  XmppState s;
  ASSERT_TRUE(s.apply(user_cmd("user.add", "alice")));
  json item = {{"jid", "Bob@Example.COM/phone"}, {"name", "Bob"}, {"subscription", "to"}, {"ask", true},
               {"groups", {"friends", "work"}}};
  ASSERT_TRUE(s.apply({{"op", "roster.set"}, {"user", "alice"}, {"item", item}}));
  auto got = s.roster_item("alice", "bob@example.com");
  ASSERT_TRUE(got);
  EXPECT_EQ(got->jid, "bob@example.com");  // bare and prepared
  EXPECT_EQ(got->subscription, Subscription::to);
  EXPECT_TRUE(got->ask_subscribe);
  EXPECT_FALSE(got->pending_in);
  EXPECT_EQ(got->groups, (std::vector<std::string>{"friends", "work"}));

  item["subscription"] = "both";
  item["ask"] = false;
  ASSERT_TRUE(s.apply({{"op", "roster.set"}, {"user", "alice"}, {"item", item}}));
  ASSERT_EQ(s.roster("alice").size(), 1u);
  EXPECT_EQ(s.roster("alice")[0].subscription, Subscription::both);

  ASSERT_TRUE(s.apply({{"op", "roster.remove"}, {"user", "alice"}, {"jid", "bob@example.com"}}));
  EXPECT_TRUE(s.roster("alice").empty());
  EXPECT_FALSE(s.apply({{"op", "roster.remove"}, {"user", "alice"}, {"jid", "bob@example.com"}}));
}

TEST(XmppState, OfflineIdsAreDeterministicAndPopIsUpTo) {
  XmppState a, b;
  for (XmppState* s : {&a, &b}) {
    ASSERT_TRUE(s->apply(user_cmd("user.add", "alice")));
    ASSERT_TRUE(s->apply(user_cmd("user.add", "bob")));
    ASSERT_TRUE(s->apply(push("alice", "1")));
    ASSERT_TRUE(s->apply(push("bob", "2")));
    ASSERT_TRUE(s->apply(push("alice", "3", 2000)));
  }
  EXPECT_EQ(a.snapshot(), b.snapshot());
  auto alice = a.offline_messages("alice");
  ASSERT_EQ(alice.size(), 2u);
  EXPECT_EQ(alice[0].id, 1u);
  EXPECT_EQ(alice[1].id, 3u);
  EXPECT_EQ(alice[1].stamp, 2000);
  EXPECT_EQ(a.offline_messages("bob")[0].id, 2u);

  ASSERT_TRUE(a.apply({{"op", "offline.pop"}, {"user", "alice"}, {"up_to", 2}}));
  ASSERT_EQ(a.offline_messages("alice").size(), 1u);
  EXPECT_EQ(a.offline_messages("alice")[0].id, 3u);
  ASSERT_TRUE(a.apply({{"op", "offline.pop"}, {"user", "alice"}, {"up_to", 3}}));
  ASSERT_TRUE(a.apply({{"op", "offline.pop"}, {"user", "alice"}, {"up_to", 3}}));  // idempotent
  EXPECT_TRUE(a.offline_messages("alice").empty());
  EXPECT_EQ(a.offline_messages("bob").size(), 1u);  // other users untouched

  EXPECT_FALSE(a.apply(push("nobody", "x")));  // no orphan messages
  // Deleting a user drops its messages and roster.
  ASSERT_TRUE(a.apply({{"op", "user.del"}, {"user", "bob"}}));
  ASSERT_TRUE(a.apply(user_cmd("user.add", "bob")));
  EXPECT_TRUE(a.offline_messages("bob").empty());
  ASSERT_TRUE(a.apply(push("bob", "4")));
  EXPECT_EQ(a.offline_messages("bob")[0].id, 4u);  // ids are never reused
}

TEST(XmppState, OfflineCapPerUser) {
  XmppState s;
  ASSERT_TRUE(s.apply(user_cmd("user.add", "alice")));
  ASSERT_TRUE(s.apply(user_cmd("user.add", "bob")));
  for (size_t i = 0; i < XmppState::kMaxOfflinePerUser; ++i) ASSERT_TRUE(s.apply(push("alice", "m")));
  auto full = s.apply(push("alice", "one too many"));
  ASSERT_FALSE(full);
  EXPECT_NE(full.error().message.find("full"), std::string::npos);
  EXPECT_TRUE(s.apply(push("bob", "m")));
}

TEST(XmppState, CallBridges) {
  XmppState s;
  ASSERT_TRUE(s.apply({{"op", "callbridge.set"}, {"name", "cb1"}, {"secret", "s1"}}));
  auto dup = s.apply({{"op", "callbridge.set"}, {"name", "cb1"}, {"secret", "s2"}});
  ASSERT_FALSE(dup);
  EXPECT_EQ(dup.error().message, "call bridge 'cb1' already exists");
  EXPECT_EQ(s.callbridge("cb1")->secret, "s1");
  ASSERT_TRUE(s.apply({{"op", "callbridge.set"}, {"name", "cb1"}, {"secret", "s2"}, {"replace", true}}));
  EXPECT_EQ(s.callbridge("cb1")->secret, "s2");
  ASSERT_TRUE(s.apply({{"op", "callbridge.set"}, {"name", "CB0"}, {"secret", "s0"}}));
  auto all = s.callbridges();
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0].name, "cb0");
  EXPECT_EQ(all[1].name, "cb1");
  ASSERT_TRUE(s.apply({{"op", "callbridge.del"}, {"name", "cb0"}}));
  EXPECT_FALSE(s.apply({{"op", "callbridge.del"}, {"name", "cb0"}}));
  EXPECT_FALSE(s.callbridge("cb0"));
}

TEST(XmppState, ResetClearsEverything) {
  XmppState s;
  ASSERT_TRUE(s.apply(user_cmd("user.add", "alice")));
  ASSERT_TRUE(s.apply(push("alice", "x")));
  ASSERT_TRUE(s.apply({{"op", "callbridge.set"}, {"name", "cb1"}, {"secret", "s1"}}));
  ASSERT_TRUE(s.apply({{"op", "reset"}}));
  EXPECT_TRUE(s.users().empty());
  EXPECT_TRUE(s.callbridges().empty());
  EXPECT_EQ(s.next_offline_id(), 2u);
}

TEST(XmppState, SnapshotRestoreRoundTrip) {
  XmppState s;
  ASSERT_TRUE(s.apply(user_cmd("user.add", "alice")));
  ASSERT_TRUE(s.apply(user_cmd("user.add", "bob", "other")));
  ASSERT_TRUE(s.apply({{"op", "roster.set"}, {"user", "alice"},
                       {"item", {{"jid", "bob@example.com"}, {"subscription", "from"}, {"pending_in", true}}}}));
  ASSERT_TRUE(s.apply(push("bob", "hello")));
  ASSERT_TRUE(s.apply({{"op", "callbridge.set"}, {"name", "cb1"}, {"secret", "s1"}}));

  json snap = s.snapshot();
  auto restored = XmppState::restore(json::parse(snap.dump()));  // through text, as on disk
  ASSERT_TRUE(restored) << restored.error().text();
  EXPECT_EQ(restored->snapshot(), snap);
  EXPECT_TRUE(verify_password(*restored->credentials("bob", ScramHash::sha256), "other"));
  EXPECT_TRUE(restored->roster_item("alice", "bob@example.com")->pending_in);
  // The counter travels with the snapshot: the next id is the same on both.
  ASSERT_TRUE(restored->apply(push("bob", "again")));
  ASSERT_TRUE(s.apply(push("bob", "again")));
  EXPECT_EQ(restored->snapshot(), s.snapshot());

  EXPECT_FALSE(XmppState::restore(json{{"format", 99}}));
  json damaged = snap;
  damaged["users"]["alice"]["sha1"] = "garbage";
  EXPECT_FALSE(XmppState::restore(damaged));
}

}  // namespace
}  // namespace convene::xmpp
