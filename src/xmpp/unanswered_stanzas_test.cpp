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
  auto left = u.take(t + 10ms).again;
  ASSERT_EQ(left.size(), 2u);
  EXPECT_EQ(left[0], "<message id='b'/>");
  EXPECT_EQ(left[1], "<iq type='set' id='c'/>");
  EXPECT_TRUE(u.take(t + 20ms).again.empty());
}

TEST(UnansweredStanzas, AnswersToTheBridgeAreNeverReplayed) {
  // The service's answers to the bridge's own requests (its occupants, say): kept,
  // they went to every next holder of a name nobody else used (a standby's).
  UnansweredStanzas u;
  auto t = UnansweredStanzas::Clock::now();
  EXPECT_TRUE(u.sent("<iq type='result' to='cb2.d' id='occ1'><occupants/></iq>", t));
  EXPECT_TRUE(u.sent("<iq to='cb2.d' type=\"error\" id='rec2'/>", t));
  EXPECT_TRUE(u.sent("<message type='error' to='r@cb2.d' id='m'/>", t));
  EXPECT_TRUE(u.sent("<iq type='get' to='cb2.d' id='q'/>", t));
  auto left = u.take(t).again;
  ASSERT_EQ(left.size(), 1u);
  EXPECT_EQ(left[0], "<iq type='get' to='cb2.d' id='q'/>");
}

TEST(UnansweredStanzas, PresenceIsNeverReplayed) {
  UnansweredStanzas u;
  auto t = UnansweredStanzas::Clock::now();
  EXPECT_TRUE(
      u.sent("<presence to='room3@cb1.d/Alice'><x xmlns='http://jabber.org/protocol/muc'/></presence>", t));
  EXPECT_TRUE(u.sent("<presence type='unavailable' to='room3@cb1.d/Alice'/>", t));
  EXPECT_TRUE(u.take(t + 10ms).again.empty());
}

TEST(UnansweredStanzas, KeepsWhatTheBridgeHasNotReachedHoweverOld) {
  // A bridge that waited for its database (or held a new connection's stanzas until
  // it knew its occupants) had not read these yet when its connection ended: after
  // the old 2 s window they were dropped, acknowledged and never delivered.
  UnansweredStanzas u;
  auto t = UnansweredStanzas::Clock::now();
  EXPECT_TRUE(u.sent("<message id='early'/>", t));
  EXPECT_TRUE(u.sent("<message id='late'/>", t + 3s));
  auto left = u.take(t + 10s).again;
  ASSERT_EQ(left.size(), 2u);
  EXPECT_EQ(left[0], "<message id='early'/>");
}

TEST(UnansweredStanzas, AnAnswerAlsoTakesOffWhatWasSentBeforeIt) {
  // The bridge handles in order: a stanza without id (or never answered) before an
  // answered one was handled too, and is not replayed to the next holder.
  UnansweredStanzas u;
  auto t = UnansweredStanzas::Clock::now();
  EXPECT_TRUE(u.sent("<message to='r@cb1.d'/>", t));
  EXPECT_TRUE(u.sent("<message id='a'/>", t));
  EXPECT_TRUE(u.sent("<message id='b'/>", t));
  u.answered("a");
  auto left = u.take(t).again;
  ASSERT_EQ(left.size(), 1u);
  EXPECT_EQ(left[0], "<message id='b'/>");
}

TEST(UnansweredStanzas, AnIdSeveralStanzasShareTakesOffOnlyThose) {
  // Two clients counting from 1: the answer to "1" could be either's, so nothing
  // before them is taken as handled.
  UnansweredStanzas u;
  auto t = UnansweredStanzas::Clock::now();
  EXPECT_TRUE(u.sent("<message id='x'/>", t));
  EXPECT_TRUE(u.sent("<message id='1' from='a'/>", t));
  EXPECT_TRUE(u.sent("<message id='1' from='b'/>", t));
  u.answered("1");
  auto left = u.take(t).again;
  ASSERT_EQ(left.size(), 1u);
  EXPECT_EQ(left[0], "<message id='x'/>");
}

TEST(UnansweredStanzas, KeepsTheBoundsAndCountsWhatTheyPushedOut) {
  auto t = UnansweredStanzas::Clock::now();
  UnansweredStanzas bounded;
  for (size_t i = 0; i < UnansweredStanzas::kMaxEntries + 10; ++i) EXPECT_TRUE(bounded.sent("<message/>", t));
  EXPECT_EQ(bounded.evicted(), 10u);
  EXPECT_EQ(bounded.take(t).again.size(), UnansweredStanzas::kMaxEntries);
  UnansweredStanzas heavy;
  const std::string big = "<message>" + std::string(UnansweredStanzas::kMaxBytes - 20, 'x') + "</message>";
  const size_t fit = UnansweredStanzas::kMaxTotalBytes / big.size();
  for (size_t i = 0; i < fit + 3; ++i) EXPECT_TRUE(heavy.sent(big, t));
  EXPECT_EQ(heavy.evicted(), 3u);
  EXPECT_EQ(heavy.take(t).again.size(), fit);
  UnansweredStanzas large;
  EXPECT_TRUE(large.sent(std::string(UnansweredStanzas::kMaxBytes + 1, 'x'), t));  // not kept, not refused
  EXPECT_TRUE(large.take(t).again.empty());
}

TEST(UnansweredStanzas, ASendAfterTheTakeIsRefusedSoTheSenderRoutesItAgain) {
  // The connection ended (its unanswered stanzas were taken) while another thread,
  // which had found it in the registry, was sending: that stanza was recorded in a
  // list nobody reads again and dropped by the closed connection.
  UnansweredStanzas u;
  auto t = UnansweredStanzas::Clock::now();
  EXPECT_TRUE(u.sent("<message id='before'/>", t));
  EXPECT_EQ(u.take(t).again.size(), 1u);
  EXPECT_FALSE(u.sent("<message id='after'/>", t));
  EXPECT_TRUE(u.sent("<presence to='room@cb1.d/A'/>", t));  // state: never replayed, nothing to refuse
  EXPECT_TRUE(u.take(t).again.empty());
}

TEST(UnansweredStanzas, ForwardedStanzasAreConfirmedWhenAnsweredAndHandedBackWhenNot) {
  // Another member's users' stanzas: this node may not route them again itself, so
  // their origins wait for the bridge's answer, or send them again elsewhere.
  using Outcome = ComponentLink::Forwarded;
  UnansweredStanzas u;
  auto t = UnansweredStanzas::Clock::now();
  const ForwardedFrom a{2, 7, 1}, b{2, 7, 2}, c{3, 9, 1};
  EXPECT_EQ(u.sent_for("<message id='a'/>", t, a).outcome, Outcome::awaiting_answer);
  EXPECT_TRUE(u.sent("<message id='own'/>", t));
  EXPECT_EQ(u.sent_for("<message id='b'/>", t, b).outcome, Outcome::awaiting_answer);
  EXPECT_EQ(u.sent_for("<message id='c'/>", t, c).outcome, Outcome::awaiting_answer);
  EXPECT_EQ(u.sent_for("<message to='r@cb1.d'/>", t, {3, 9, 2}).outcome, Outcome::confirmed) << "no id: no answer to wait for";
  EXPECT_EQ(u.sent_for("<presence to='r@cb1.d/A'/>", t, {3, 9, 3}).outcome, Outcome::confirmed) << "not kept";
  EXPECT_EQ(u.answered("b"), (std::vector<ForwardedFrom>{a, b})) << "b and what came before it";
  auto left = u.take(t);
  EXPECT_EQ(left.forwarded, (std::vector<ForwardedFrom>{c}));
  EXPECT_EQ(left.again, (std::vector<std::string>{"<message to='r@cb1.d'/>"}));
  EXPECT_EQ(u.sent_for("<message id='d'/>", t, {2, 7, 3}).outcome, Outcome::gone) << "the connection ended";
}

TEST(UnansweredStanzas, ForwardedStanzasPushedOutByTheBoundsAreHandedBack) {
  UnansweredStanzas u;
  auto t = UnansweredStanzas::Clock::now();
  EXPECT_TRUE(u.sent_for("<message id='first'/>", t, {2, 1, 1}).evicted.empty());
  for (size_t i = 1; i < UnansweredStanzas::kMaxEntries; ++i) EXPECT_TRUE(u.sent("<message/>", t));
  EXPECT_TRUE(u.sent("<message/>", t));  // pushes 'first' out
  auto next = u.sent_for("<message id='next'/>", t, {2, 1, 2});
  EXPECT_EQ(next.evicted, (std::vector<ForwardedFrom>{{2, 1, 1}}));
  EXPECT_EQ(u.take(t).forwarded, (std::vector<ForwardedFrom>{{2, 1, 2}}));
}

TEST(UnansweredStanzas, AnAnswerKeepsTheByteCountRight) {
  // Stanzas taken off around one that stays: each is taken off the byte count by
  // its own size, so the bounds later push out no more than they must.
  UnansweredStanzas u;
  auto t = UnansweredStanzas::Clock::now();
  const std::string big = "<message>" + std::string(UnansweredStanzas::kMaxBytes - 40, 'x') + "</message>";
  const std::string stays = "<message id='k'/>";
  const size_t fit = UnansweredStanzas::kMaxTotalBytes / big.size();
  ASSERT_LE(stays.size() + fit * big.size(), UnansweredStanzas::kMaxTotalBytes);
  EXPECT_TRUE(u.sent("<message id='1' from='a'>" + std::string(UnansweredStanzas::kMaxBytes - 40, 'y') + "</message>", t));
  EXPECT_TRUE(u.sent(stays, t));
  EXPECT_TRUE(u.sent("<message id='1' from='b'/>", t));
  u.answered("1");  // an id two stanzas share: only those two go
  for (size_t i = 0; i < fit; ++i) EXPECT_TRUE(u.sent(big, t));
  EXPECT_EQ(u.evicted(), 0u);
  EXPECT_EQ(u.take(t).again.size(), fit + 1);
}

}  // namespace
}  // namespace convene::xmpp
