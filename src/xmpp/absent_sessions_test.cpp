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
  auto exact = a.absent_for("u@d", "u@d/phone", false, t);
  ASSERT_TRUE(exact);
  EXPECT_EQ(exact->jid, "u@d/phone");
  EXPECT_EQ(exact->member, 2u);
  EXPECT_FALSE(a.absent_for("u@d", "u@d/tablet", false, t));
  auto any = a.absent_for("u@d", "u@d/tablet", true, t);
  ASSERT_TRUE(any);
  EXPECT_EQ(any->jid.rfind("u@d/", 0), 0u);
  auto over = a.absent_for("u@d", "u@d", true, t + AbsentSessions::kAwaitReturn);
  ASSERT_TRUE(over);  // still known, its wait over: bounced by the router, not stored offline
  EXPECT_FALSE(over->awaited);
  EXPECT_FALSE(a.absent_for("nobody@d", "nobody@d", true, t));
}

TEST(AbsentSessions, AnAwaitedResourceIsPreferredToOneWhoseWaitIsOver) {
  AbsentSessions a;
  auto t = AbsentSessions::Clock::now();
  a.dropped("u@d/old", 2, t);
  a.dropped("u@d/new", 3, t + AbsentSessions::kAwaitReturn);
  auto found = a.absent_for("u@d", "u@d", true, t + AbsentSessions::kAwaitReturn + 1s);
  ASSERT_TRUE(found);
  EXPECT_EQ(found->jid, "u@d/new");
  EXPECT_TRUE(found->awaited);
  a.forget_old(t + AbsentSessions::kForgetAfter + 1s);
  EXPECT_FALSE(a.absent_for("u@d", "u@d/old", false, t + AbsentSessions::kForgetAfter + 1s));
}

}  // namespace
}  // namespace convene::xmpp
