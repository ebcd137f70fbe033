#include "xmpp/unanswered_stanzas.h"

#include <gtest/gtest.h>

namespace convene::xmpp {
namespace {

using namespace std::chrono_literals;

TEST(UnansweredStanzas, ReadsTheIdOfTheOpeningTagOnly) {
  EXPECT_EQ(stanza_id("<message id='g1' to='r@cb1.d'><body>x</body></message>"), "g1");
  EXPECT_EQ(stanza_id("<message to='r@cb1.d' id=\"g2\"/>"), "g2");
  EXPECT_EQ(stanza_id("<message to='r@cb1.d'><body id='no'>x</body></message>"), "");
  EXPECT_EQ(stanza_id("<message xml:id='no' to='x'/>"), "");
}

TEST(UnansweredStanzas, AnAnswerWithTheIdTakesTheStanzaOff) {
  UnansweredStanzas u;
  auto t = UnansweredStanzas::Clock::now();
  EXPECT_TRUE(u.sent("<message id='a'/>", t));
  EXPECT_TRUE(u.sent("<message id='b'/>", t));
  EXPECT_TRUE(u.sent("<iq type='set' id='c'/>", t));
  u.answered("a");
  auto left = u.take(t + 10ms);
  ASSERT_EQ(left.size(), 2u);
  EXPECT_EQ(left[0], "<message id='b'/>");
  EXPECT_EQ(left[1], "<iq type='set' id='c'/>");
  EXPECT_TRUE(u.take(t + 20ms).empty());
}

TEST(UnansweredStanzas, PresenceIsNeverReplayed) {
  UnansweredStanzas u;
  auto t = UnansweredStanzas::Clock::now();
  EXPECT_TRUE(
      u.sent("<presence to='room3@cb1.d/Alice'><x xmlns='http://jabber.org/protocol/muc'/></presence>", t));
  EXPECT_TRUE(u.sent("<presence type='unavailable' to='room3@cb1.d/Alice'/>", t));
  EXPECT_TRUE(u.take(t + 10ms).empty());
}

TEST(UnansweredStanzas, KeepsOnlyTheWindowAndTheBound) {
  UnansweredStanzas u;
  auto t = UnansweredStanzas::Clock::now();
  EXPECT_TRUE(u.sent("<message id='old'/>", t));
  EXPECT_TRUE(u.sent("<message id='new'/>", t + UnansweredStanzas::kWindow));
  auto left = u.take(t + UnansweredStanzas::kWindow + 1ms);
  ASSERT_EQ(left.size(), 1u);
  EXPECT_EQ(left[0], "<message id='new'/>");
  UnansweredStanzas bounded;  // a take() ends a list's use: a fresh one
  for (size_t i = 0; i < UnansweredStanzas::kMaxEntries + 10; ++i) EXPECT_TRUE(bounded.sent("<message/>", t));
  EXPECT_EQ(bounded.take(t).size(), UnansweredStanzas::kMaxEntries);
  UnansweredStanzas large;
  EXPECT_TRUE(large.sent(std::string(UnansweredStanzas::kMaxBytes + 1, 'x'), t));  // not kept, not refused
  EXPECT_TRUE(large.take(t).empty());
}

TEST(UnansweredStanzas, ASendAfterTheTakeIsRefusedSoTheSenderRoutesItAgain) {
  // The connection ended (its unanswered stanzas were taken) while another thread,
  // which had found it in the registry, was sending: that stanza was recorded in a
  // list nobody reads again and dropped by the closed connection.
  UnansweredStanzas u;
  auto t = UnansweredStanzas::Clock::now();
  EXPECT_TRUE(u.sent("<message id='before'/>", t));
  EXPECT_EQ(u.take(t).size(), 1u);
  EXPECT_FALSE(u.sent("<message id='after'/>", t));
  EXPECT_TRUE(u.sent("<presence to='room@cb1.d/A'/>", t));  // state: never replayed, nothing to refuse
  EXPECT_TRUE(u.take(t).empty());
}

}  // namespace
}  // namespace convene::xmpp
