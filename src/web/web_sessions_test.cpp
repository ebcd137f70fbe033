#include "web/web_sessions.h"

#include <gtest/gtest.h>

namespace convene::web {

using namespace std::chrono_literals;

TEST(WebSessions, FoundUntilIdleTooLong) {
  WebSessions sessions;
  auto t0 = WebSessions::Clock::time_point{} + 1h;
  std::string id = sessions.create("alice", Role::admin, t0);
  auto s = sessions.find(id, t0 + 29min);
  ASSERT_TRUE(s);
  EXPECT_EQ(s->user, "alice");
  EXPECT_EQ(s->csrf.size(), 32u);
  EXPECT_TRUE(sessions.find(id, t0 + 58min));    // used at 29 min: 29 min idle
  EXPECT_FALSE(sessions.find(id, t0 + 89min));   // 31 min idle
  EXPECT_FALSE(sessions.find("nope", t0));
}

TEST(WebSessions, EachSessionHasItsOwnIdAndToken) {
  WebSessions sessions;
  auto now = WebSessions::Clock::now();
  auto a = sessions.create("a", Role::admin, now), b = sessions.create("a", Role::admin, now);
  EXPECT_NE(a, b);
  EXPECT_NE(sessions.find(a, now)->csrf, sessions.find(b, now)->csrf);
  sessions.remove(a);
  EXPECT_FALSE(sessions.find(a, now));
}

TEST(WebSessions, BoundedInNumber) {
  WebSessions sessions;
  auto now = WebSessions::Clock::now();
  for (size_t i = 0; i < WebSessions::kMaxSessions + 5; ++i) sessions.create("u", Role::audit, now);
  EXPECT_EQ(sessions.size(), WebSessions::kMaxSessions);
}

TEST(Csrf, OnlyTheSameTokenMatches) {
  EXPECT_TRUE(csrf_matches("abc123", "abc123"));
  EXPECT_FALSE(csrf_matches("abc123", "abc124"));
  EXPECT_FALSE(csrf_matches("abc123", ""));
  EXPECT_FALSE(csrf_matches("", ""));
}

TEST(Cookies, ValueByNameAndSessionAttributes) {
  EXPECT_EQ(cookie_value("a=1; convene_session=xyz; b=2", "convene_session"), "xyz");
  EXPECT_EQ(cookie_value("a=1", "convene_session"), "");
  std::string c = session_cookie("xyz");
  EXPECT_NE(c.find("Secure"), std::string::npos);
  EXPECT_NE(c.find("HttpOnly"), std::string::npos);
  EXPECT_NE(c.find("SameSite=Strict"), std::string::npos);
  EXPECT_NE(session_cookie("").find("Max-Age=0"), std::string::npos);
}

}  // namespace convene::web
