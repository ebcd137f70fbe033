#include "web/basic_auth.h"

#include <gtest/gtest.h>

namespace convene::web {

TEST(BasicAuth, DecodesUserAndPassword) {
  auto c = parse_basic_authorization("Basic YWxpY2U6czNjcjN0OndpdGg6Y29sb25z");  // alice:s3cr3t:with:colons
  ASSERT_TRUE(c);
  EXPECT_EQ(c->user, "alice");
  EXPECT_EQ(c->password, "s3cr3t:with:colons");
}

TEST(BasicAuth, SchemeIsCaseInsensitive) { EXPECT_TRUE(parse_basic_authorization("basic YTpi")); }

TEST(BasicAuth, RefusesOtherSchemesBadBase64AndNoColon) {
  EXPECT_FALSE(parse_basic_authorization(""));
  EXPECT_FALSE(parse_basic_authorization("Bearer YTpi"));
  EXPECT_FALSE(parse_basic_authorization("Basic !!!"));
  EXPECT_FALSE(parse_basic_authorization("Basic YWxpY2U="));  // "alice": no colon
  EXPECT_FALSE(parse_basic_authorization("Basic YQpiOmM="));  // "a\nb:c": a control character
}

}  // namespace convene::web
