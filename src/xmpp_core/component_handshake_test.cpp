#include "xmpp_core/component_handshake.h"

#include <gtest/gtest.h>

namespace convene::xmpp {
namespace {

TEST(Component, HandshakeDigestIsSha1HexOfIdAndSecret) {
  // SHA-1("3BF96D32sesame"), computed independently with sha1sum.
  EXPECT_EQ(component_handshake_digest("3BF96D32", "sesame"), "7a98dc4c9e92493d7fd66a25364c862637789c45");
  EXPECT_EQ(component_handshake_digest("", "abc"), "a9993e364706816aba3e25717850c26c9cd0d89d");  // SHA-1("abc")
  EXPECT_NE(component_handshake_digest("id1", "s"), component_handshake_digest("id2", "s"));
}

TEST(Component, SecretsMustBeLongAndVaried) {
  EXPECT_TRUE(check_component_secret("kvgP1SRzWVabhiPVAb1"));  // the seed's example
  EXPECT_TRUE(check_component_secret("somethingElse123"));
  auto short_one = check_component_secret("x");
  ASSERT_FALSE(short_one);
  EXPECT_NE(short_one.error().message.find("too short"), std::string::npos);
  EXPECT_NE(short_one.error().message.find("at least 16"), std::string::npos);
  EXPECT_FALSE(check_component_secret("notTheSecret123"));  // 15
  auto repetitive = check_component_secret("abababababababababab");
  ASSERT_FALSE(repetitive);
  EXPECT_NE(repetitive.error().message.find("at least 8"), std::string::npos);
}

}  // namespace
}  // namespace convene::xmpp
