#include "util/strings.h"

#include <gtest/gtest.h>

#include "util/files.h"
#include "util/testing.h"

namespace convene {

TEST(Strings, SplitKeepsEmptyFields) {
  EXPECT_EQ(split("a,,b", ','), (std::vector<std::string>{"a", "", "b"}));
  EXPECT_EQ(split("", ','), (std::vector<std::string>{""}));
}

TEST(Strings, EditDistance) {
  EXPECT_EQ(edit_distance("inspect", "inspect"), 0u);
  EXPECT_EQ(edit_distance("inpsect", "inspect"), 2u);
  EXPECT_EQ(edit_distance("", "abc"), 3u);
}

TEST(Files, AtomicWriteCreatesWithModeAndReplaces) {
  testing::TempDir dir;
  auto p = dir / "secret.key";
  ASSERT_TRUE(write_file_atomic(p, "one", 0600));
  EXPECT_EQ((std::filesystem::status(p).permissions() & std::filesystem::perms::all),
            std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
  ASSERT_TRUE(write_file_atomic(p, "two", 0600));
  EXPECT_EQ(*read_file(p), "two");
}

TEST(Files, MissingFileSaysNotFound) {
  auto r = read_file("/nonexistent/x.cer");
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("not found"), std::string::npos);
}

TEST(Files, PlainFileNames) {
  EXPECT_TRUE(is_plain_file_name("a.key"));
  EXPECT_FALSE(is_plain_file_name("../a.key"));
  EXPECT_FALSE(is_plain_file_name(".."));
  EXPECT_FALSE(is_plain_file_name(""));
}

TEST(Strings, KeyValueLinePadsTheKeyAndKeepsALongOne) {
  EXPECT_EQ(key_value_line("Status", "Enabled", 10), "Status    : Enabled");
  EXPECT_EQ(key_value_line("A long key here", "v", 5), "A long key here: v");
}

}  // namespace convene
