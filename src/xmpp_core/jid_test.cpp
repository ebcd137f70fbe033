#include "xmpp_core/jid.h"

#include <gtest/gtest.h>

#include <unordered_set>

namespace convene::xmpp {
namespace {

Jid jid(std::string_view s) {
  auto j = Jid::parse(s);
  EXPECT_TRUE(j) << s << ": " << (j ? "" : j.error().message);
  return j ? *j : Jid();
}

TEST(Jid, ParsesTheThreeParts) {
  Jid j = jid("Juliet@Example.COM/Balcony Room");
  EXPECT_EQ(j.local(), "juliet");
  EXPECT_EQ(j.domain(), "example.com");
  EXPECT_EQ(j.resource(), "Balcony Room");  // resources keep case and spaces
  EXPECT_EQ(j.full(), "juliet@example.com/Balcony Room");
  EXPECT_EQ(j.bare_view(), "juliet@example.com");
  EXPECT_EQ(j.bare().full(), "juliet@example.com");
  EXPECT_TRUE(j.bare().is_bare());
  EXPECT_FALSE(j.is_bare());
  EXPECT_FALSE(j.is_domain());
  EXPECT_TRUE(jid("example.com").is_domain());
  EXPECT_EQ(jid("example.com").local(), "");
  EXPECT_EQ(jid("example.com/res").resource(), "res");
  EXPECT_EQ(jid("bridge.example.com").domain(), "bridge.example.com");
}

TEST(Jid, ResourceMayContainAtAndSlash) {
  Jid j = jid("a@b/c@d/e");
  EXPECT_EQ(j.local(), "a");
  EXPECT_EQ(j.domain(), "b");
  EXPECT_EQ(j.resource(), "c@d/e");
  Jid k = jid("b/c@d");  // '@' after the first '/' is part of the resource
  EXPECT_FALSE(k.has_local());
  EXPECT_EQ(k.resource(), "c@d");
}

TEST(Jid, ComparesPreparedForms) {
  EXPECT_EQ(jid("ROMEO@example.net."), jid("romeo@EXAMPLE.net"));
  EXPECT_NE(jid("romeo@example.net/A"), jid("romeo@example.net/a"));
  EXPECT_LT(jid("a@x"), jid("b@x"));
  std::unordered_set<Jid> set{jid("a@x/1"), jid("A@X/1")};
  EXPECT_EQ(set.size(), 1u);
  auto r = jid("a@x").with_resource("phone");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->full(), "a@x/phone");
  EXPECT_FALSE(jid("a@x").with_resource(std::string("\x01", 1)));
}

TEST(Jid, InternationalDomains) {
  Jid u = jid("user@M\xC3\x9C" "NCHEN.example");  // MÜNCHEN
  EXPECT_EQ(u.domain(), "m\xC3\xBC" "nchen.example");
  Jid a = jid("user@xn--mnchen-3ya.example");  // A-label form of the same name
  EXPECT_EQ(a, u);
  EXPECT_EQ(jid("[::1]").domain(), "[::1]");
  EXPECT_EQ(jid("u@127.0.0.1").domain(), "127.0.0.1");
  EXPECT_EQ(jid("j\xC3\xBCrgen@example.com").local(), "j\xC3\xBCrgen");
}

TEST(Jid, RejectsInvalid) {
  for (std::string_view bad : {"", "@example.com", "user@", "user@example.com/", "/res",
                               "a b@example.com", "a\"b@x", "a&b@x", "a'b@x", "a:b@x",
                               "a<b@x", "a>b@x", "a@b@x", "exa mple.com", "ex..ample.com",
                               "example.com..", "[::1", "[zz::1]", "a@x/\x7f"}) {
    EXPECT_FALSE(Jid::parse(bad)) << "accepted '" << bad << "'";
  }
  EXPECT_FALSE(Jid::parse(std::string("a\0b@x", 5)));
  EXPECT_FALSE(Jid::parse("\xff@x"));           // not UTF-8
  EXPECT_FALSE(Jid::parse("\xc0\xaf@x"));       // overlong '/'
  EXPECT_FALSE(Jid::parse("\xed\xa0\x80@x"));   // surrogate
  EXPECT_FALSE(Jid::parse("a@x/\xc2\x85"));     // C1 control
  EXPECT_FALSE(Jid::parse("a@\xe2\x98\x83\xe2\x98\x83.\x01"));
}

TEST(Jid, LengthLimits) {
  std::string part(1023, 'a'), over(1024, 'a');
  EXPECT_TRUE(Jid::parse(part + "@x/" + part));
  EXPECT_FALSE(Jid::parse(over + "@x"));
  EXPECT_FALSE(Jid::parse("a@x/" + over));
  std::string long_label(64, 'a');
  EXPECT_FALSE(Jid::parse("a@" + long_label + ".com"));
  std::string many_labels;
  for (int i = 0; i < 200; ++i) many_labels += "abcd.";
  many_labels += "com";  // 1003 bytes
  EXPECT_TRUE(Jid::parse("a@" + many_labels));
  EXPECT_FALSE(Jid::parse("a@abcdefghijklmnopqrstu." + many_labels));
}

TEST(Jid, PrepareParts) {
  EXPECT_EQ(*prepare_localpart("Alice"), "alice");
  EXPECT_EQ(*prepare_domainpart("Example.ORG."), "example.org");
  EXPECT_EQ(*prepare_resourcepart("Desk Top"), "Desk Top");
  EXPECT_FALSE(prepare_localpart("a/b"));
  EXPECT_FALSE(prepare_domainpart(""));
  auto made = Jid::make("Bob", "Example.com", "r");
  ASSERT_TRUE(made);
  EXPECT_EQ(made->full(), "bob@example.com/r");
}

}  // namespace
}  // namespace convene::xmpp

namespace convene::xmpp {
namespace {

TEST(Jid, LookAlikeLocalpartsNameOneAccount) {
  // Fullwidth "ＡＬＩＣＥ" and "Alice" are the same account as "alice" (nodeprep).
  EXPECT_EQ(*prepare_localpart("\xEF\xBC\xA1\xEF\xBC\xAC\xEF\xBC\xA9\xEF\xBC\xA3\xEF\xBC\xA5"), "alice");
  EXPECT_EQ(jid("\xEF\xBC\xA1lice@example.com").bare_view(), "alice@example.com");
  EXPECT_FALSE(prepare_localpart("\xEF\xBC\xA0"));  // fullwidth '@'
}

// parse() takes the fast path for text already in canonical form; it must accept
// exactly what the full preparation would leave unchanged, and give the same Jid.
TEST(Jid, ParsePreparedTakesOnlyCanonicalText) {
  for (std::string_view s : {"user1@bench.test/b", "a@b", "example.com", "example.com/r", "x_y-z@sub.ex-ample.org/res@x/y",
                             "127.0.0.1", "u.s.e.r+tag@host/Res Ource", "~!#$%^*()=[]{}|;,?@d"}) {
    auto fast = Jid::parse_prepared(s);
    ASSERT_TRUE(fast) << s;
    EXPECT_EQ(fast->full(), s);
    auto full = jid(s);
    EXPECT_EQ(*fast, full) << s;
    EXPECT_EQ(fast->local(), full.local()) << s;
    EXPECT_EQ(fast->domain(), full.domain()) << s;
    EXPECT_EQ(fast->resource(), full.resource()) << s;
    EXPECT_EQ(fast->bare_view(), full.bare_view()) << s;
  }
  // What preparation changes or refuses is left to it.
  for (std::string_view s : {"User@b", "u@B", "u@b.", "u@xn--bcher-kva.example", "u@a.xn--bcher-kva", "[::1]",
                             "u@[::1]", "", "@b", "u@", "u@b/", "u@b/\x01", "u\x7f@b", "us er@b", "u&@b", "u'@b",
                             "u:x@b", "u<@b", "u>@b", "u\"@b", "u@b..c", "u@b c", "u@b!",
                             "\xc3\xa9@b", "u@b/\xc3\xa9", "u@\xc3\xa9.example"}) {
    EXPECT_FALSE(Jid::parse_prepared(s)) << s;
  }
  EXPECT_FALSE(Jid::parse_prepared(std::string(1024, 'a') + "@b"));
  EXPECT_FALSE(Jid::parse_prepared("a@" + std::string(64, 'b')));
  EXPECT_TRUE(Jid::parse_prepared("a@" + std::string(63, 'b')));
  EXPECT_FALSE(Jid::parse_prepared("a@b/" + std::string(1024, 'r')));
  // And parse() still prepares what the fast path declines.
  EXPECT_EQ(jid("User@B./r").full(), "user@b/r");
}

}  // namespace
}  // namespace convene::xmpp
