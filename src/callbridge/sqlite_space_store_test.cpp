#include "callbridge/sqlite_space_store.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "util/testing.h"

namespace convene::callbridge {
namespace {

TEST(SqliteSpaceStore, EnsureCreatesOnceAndTheSpacesOutliveTheStore) {
  testing::TempDir dir;
  auto path = (dir / "spaces.sqlite").string();
  {
    auto store = open_sqlite_space_store(path);
    ASSERT_TRUE(store) << store.error().text();
    EXPECT_TRUE(*(*store)->ensure("room1"));
    EXPECT_FALSE(*(*store)->ensure("room1"));
    EXPECT_TRUE(*(*store)->ensure("a-room"));
    EXPECT_EQ(*(*store)->list(), (std::vector<std::string>{"a-room", "room1"}));
    auto info = (*store)->info();
    EXPECT_EQ(info.kind, "SQLite");
    EXPECT_EQ(info.where, path);
  }
  auto again = open_sqlite_space_store(path);
  ASSERT_TRUE(again);
  EXPECT_EQ(*(*again)->list(), (std::vector<std::string>{"a-room", "room1"}));
  ASSERT_TRUE((*again)->remove("a-room"));
  EXPECT_EQ(*(*again)->list(), (std::vector<std::string>{"room1"}));
}

TEST(ReadSqliteSpaces, GivesNamesWithCreationTimesAndCreatesNoFile) {
  testing::TempDir dir;
  auto path = (dir / "spaces.sqlite").string();
  auto none = read_sqlite_spaces(path);
  ASSERT_TRUE(none);
  EXPECT_TRUE(none->empty());
  EXPECT_FALSE(std::filesystem::exists(path));
  {
    auto store = open_sqlite_space_store(path);
    ASSERT_TRUE(store);
    ASSERT_TRUE((*store)->ensure("room1"));
  }
  auto read = read_sqlite_spaces(path);
  ASSERT_TRUE(read) << read.error().text();
  ASSERT_EQ(read->size(), 1u);
  EXPECT_EQ((*read)[0].name, "room1");
  EXPECT_GT((*read)[0].created_unix, 1600000000);
}

TEST(ReadSqliteSpaces, AFileThatIsNotSqliteIsAnError) {
  testing::TempDir dir;
  auto path = dir / "spaces.sqlite";
  FILE* f = std::fopen(path.c_str(), "w");
  std::fputs("not a database at all, just text that is long enough to be a header......", f);
  std::fclose(f);
  auto read = read_sqlite_spaces(path.string());
  ASSERT_FALSE(read);
  EXPECT_NE(read.error().message.find("spaces"), std::string::npos) << read.error().message;
}

}  // namespace
}  // namespace convene::callbridge
