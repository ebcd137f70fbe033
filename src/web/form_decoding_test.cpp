#include "web/form_decoding.h"

#include <gtest/gtest.h>

namespace convene::web {

TEST(FormDecoding, DecodesPairsPlusAndPercent) {
  auto f = decode_form("name=Team+meeting&uri=team%40cb1&empty=&flag");
  ASSERT_TRUE(f) << f.error().message;
  EXPECT_EQ((*f)["name"], "Team meeting");
  EXPECT_EQ((*f)["uri"], "team@cb1");
  EXPECT_EQ((*f)["empty"], "");
  EXPECT_EQ((*f)["flag"], "");
  EXPECT_EQ(f->size(), 4u);
}

TEST(FormDecoding, EmptyBodyIsNoFields) {
  auto f = decode_form("");
  ASSERT_TRUE(f);
  EXPECT_TRUE(f->empty());
}

TEST(FormDecoding, RefusesBadPercentAndRepeatedNames) {
  EXPECT_FALSE(decode_form("a=%4"));
  EXPECT_FALSE(decode_form("a=%zz"));
  EXPECT_FALSE(decode_form("a=%"));
  EXPECT_FALSE(decode_form("a=1&a=2"));
}

TEST(FormDecoding, MediaTypeDropsParametersAndCase) {
  EXPECT_EQ(media_type("Application/X-WWW-Form-Urlencoded; charset=UTF-8"), "application/x-www-form-urlencoded");
  EXPECT_EQ(media_type("application/json"), "application/json");
  EXPECT_EQ(media_type(""), "");
}

}  // namespace convene::web
