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
  u.sent("<message id='a'/>", t);
  u.sent("<message id='b'/>", t);
  u.sent("<iq type='set' id='c'/>", t);
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
  u.sent("<presence to='room3@cb1.d/Alice'><x xmlns='http://jabber.org/protocol/muc'/></presence>", t);
  u.sent("<presence type='unavailable' to='room3@cb1.d/Alice'/>", t);
  EXPECT_TRUE(u.take(t + 10ms).empty());
}

TEST(UnansweredStanzas, KeepsOnlyTheWindowAndTheBound) {
  UnansweredStanzas u;
  auto t = UnansweredStanzas::Clock::now();
  u.sent("<message id='old'/>", t);
  u.sent("<message id='new'/>", t + UnansweredStanzas::kWindow);
  auto left = u.take(t + UnansweredStanzas::kWindow + 1ms);
  ASSERT_EQ(left.size(), 1u);
  EXPECT_EQ(left[0], "<message id='new'/>");
  for (size_t i = 0; i < UnansweredStanzas::kMaxEntries + 10; ++i) u.sent("<message/>", t);
  EXPECT_EQ(u.take(t).size(), UnansweredStanzas::kMaxEntries);
  u.sent(std::string(UnansweredStanzas::kMaxBytes + 1, 'x'), t);
  EXPECT_TRUE(u.take(t).empty());
}

}  // namespace
}  // namespace convene::xmpp
