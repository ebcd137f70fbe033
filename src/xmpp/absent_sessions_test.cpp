#include "xmpp/absent_sessions.h"

#include <gtest/gtest.h>

namespace convene::xmpp {
namespace {

using namespace std::chrono_literals;
using State = AbsentSessions::State;

TEST(AbsentSessions, ADroppedSessionIsAwaitedThenTimedOutThenForgotten) {
  AbsentSessions a;
  auto t = AbsentSessions::Clock::now();
  EXPECT_EQ(a.state("u@d/r", t), State::unknown);
  a.dropped("u@d/r", 2, t);
  EXPECT_EQ(a.state("u@d/r", t + 1s), State::awaited);
  EXPECT_EQ(a.state("u@d/r", t + AbsentSessions::kAwaitReturn), State::timed_out);
  a.forget_old(t + AbsentSessions::kForgetAfter + 1s);
  EXPECT_EQ(a.state("u@d/r", t + AbsentSessions::kForgetAfter + 1s), State::unknown);
}

TEST(AbsentSessions, BackOrReportedByItsMemberEndsTheAbsence) {
  AbsentSessions a;
  auto t = AbsentSessions::Clock::now();
  a.dropped("u@d/r", 2, t);
  a.dropped("v@d/r", 2, t);
  a.dropped("w@d/r", 3, t);
  a.back("u@d/r");
  EXPECT_EQ(a.state("u@d/r", t), State::unknown);
  a.member_reported(2);
  EXPECT_EQ(a.state("v@d/r", t), State::unknown);
  EXPECT_EQ(a.state("w@d/r", t), State::awaited);
}

TEST(AbsentSessions, FindsTheExactResourceOrAnyOfTheBareJid) {
  AbsentSessions a;
  auto t = AbsentSessions::Clock::now();
  a.dropped("u@d/phone", 2, t);
  a.dropped("u@d/laptop", 3, t);
  a.dropped("uu@d/x", 3, t);  // "u@d/" is not its prefix
  auto exact = a.awaited_for("u@d", "u@d/phone", false, t);
  ASSERT_TRUE(exact);
  EXPECT_EQ(exact->jid, "u@d/phone");
  EXPECT_EQ(exact->member, 2u);
  EXPECT_FALSE(a.awaited_for("u@d", "u@d/tablet", false, t));
  auto any = a.awaited_for("u@d", "u@d/tablet", true, t);
  ASSERT_TRUE(any);
  EXPECT_EQ(any->jid.rfind("u@d/", 0), 0u);
  EXPECT_FALSE(a.awaited_for("u@d", "u@d", true, t + AbsentSessions::kAwaitReturn));
  EXPECT_FALSE(a.awaited_for("nobody@d", "nobody@d", true, t));
}

}  // namespace
}  // namespace convene::xmpp
