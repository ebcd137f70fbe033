#include "xmpp_core/stringprep.h"

#include <gtest/gtest.h>

namespace convene::xmpp {
namespace {

TEST(Stringprep, NodeprepFoldsLookAlikesToOneName) {
  EXPECT_EQ(*nodeprep("Alice"), "alice");
  EXPECT_EQ(*nodeprep("\xEF\xBC\xA1lice"), "alice");  // FULLWIDTH LATIN CAPITAL A
  EXPECT_EQ(*nodeprep("\xEF\xBD\x81\xEF\xBD\x8C\xEF\xBD\x89\xEF\xBD\x83\xEF\xBD\x85"), "alice");  // ａｌｉｃｅ
  EXPECT_EQ(*nodeprep("\xC3\x84rger"), "\xC3\xA4rger");  // Ä → ä
  EXPECT_EQ(*nodeprep("A\xCC\x88rger"), "\xC3\xA4rger");  // A + combining diaeresis → ä (NFKC)
}

TEST(Stringprep, NodeprepRefusesProhibitedCharacters) {
  EXPECT_FALSE(nodeprep("a@b"));
  EXPECT_FALSE(nodeprep("a b"));
  EXPECT_FALSE(nodeprep("a\x01"));
  EXPECT_FALSE(nodeprep("\xEF\xBC\xA0x"));       // FULLWIDTH COMMERCIAL AT maps to '@'
  EXPECT_FALSE(nodeprep("a\xE2\x80\x8F" "b"));  // RIGHT-TO-LEFT MARK
}

TEST(Stringprep, SaslprepMapsSpacesAndRefusesControls) {
  EXPECT_EQ(*saslprep("pencil"), "pencil");
  EXPECT_EQ(*saslprep("I\xC2\xADX"), "IX");       // SOFT HYPHEN maps to nothing (RFC 4013 §3)
  EXPECT_EQ(*saslprep("a\xC2\xA0" "b"), "a b");  // NO-BREAK SPACE maps to space
  EXPECT_EQ(*saslprep("\xE2\x85\xA8"), "IX");     // ROMAN NUMERAL NINE (NFKC)
  EXPECT_FALSE(saslprep("a\x07"));
  EXPECT_FALSE(saslprep("\xD8\xA7" "1"));  // RFC 4013 §3 example: bidi rule
}

}  // namespace
}  // namespace convene::xmpp
