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

TEST(SqliteSpaceStore, SettingsAndBoundedHistoryOutliveTheStoreAndGoWithTheSpace) {
  testing::TempDir dir;
  auto path = (dir / "spaces.sqlite").string();
  {
    auto store = open_sqlite_space_store(path);
    ASSERT_TRUE(store) << store.error().text();
    ASSERT_TRUE((*store)->ensure("room1"));
    ASSERT_TRUE((*store)->save_settings("room1", "{\"name\":\"one\"}"));
    ASSERT_TRUE((*store)->save_settings("room1", "{\"name\":\"two\"}"));
    for (int i = 0; i < 5; ++i) ASSERT_TRUE((*store)->add_history("room1", {i, "m" + std::to_string(i)}, 3));
  }
  auto again = open_sqlite_space_store(path);
  ASSERT_TRUE(again);
  auto settings = (*again)->settings();
  ASSERT_TRUE(settings);
  EXPECT_EQ(*settings, (std::map<std::string, std::string>{{"room1", "{\"name\":\"two\"}"}}));
  auto history = (*again)->history("room1");
  ASSERT_TRUE(history);
  EXPECT_EQ(*history, (std::vector<HistoryEntry>{{2, "m2"}, {3, "m3"}, {4, "m4"}}));
  ASSERT_TRUE((*again)->remove("room1"));
  EXPECT_TRUE((*again)->settings()->empty());
  EXPECT_TRUE((*again)->history("room1")->empty());
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
