#include "util/result.h"

#include <gtest/gtest.h>

namespace convene {

TEST(Result, MakeErrorWithoutCodeIsUnknown) {
  Status st = make_error("something broke", "try again");
  ASSERT_FALSE(st);
  EXPECT_EQ(st.code(), ErrorCode::unknown);
  EXPECT_EQ(st.error().text(), "something broke\ntry again");
}

TEST(Result, MakeErrorCarriesCode) {
  Result<int> r = make_error(ErrorCode::unavailable, "cannot connect to peer x");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.code(), ErrorCode::unavailable);
  EXPECT_EQ(r.error().message, "cannot connect to peer x");
  EXPECT_EQ(r.error().hint, "");
}

TEST(Result, CodeSurvivesTry) {
  auto inner = []() -> Status { return make_error(ErrorCode::not_found, "no such user"); };
  auto outer = [&]() -> Result<std::string> {
    CONVENE_TRY(inner());
    return std::string("unreachable");
  };
  auto r = outer();
  ASSERT_FALSE(r);
  EXPECT_EQ(r.code(), ErrorCode::not_found);
}

TEST(Result, CodeNames) {
  EXPECT_EQ(to_string(ErrorCode::unknown), "unknown");
  EXPECT_EQ(to_string(ErrorCode::outcome_unknown), "outcome_unknown");
  EXPECT_EQ(to_string(ErrorCode::failed_precondition), "failed_precondition");
  EXPECT_EQ(to_string(ErrorCode::deadline_exceeded), "deadline_exceeded");
}

}  // namespace convene
