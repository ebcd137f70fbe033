#include "util/files.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "util/testing.h"

namespace convene {
namespace {

namespace fs = std::filesystem;

// The temporary name used to be predictable (path.tmp-PID) and opened without
// O_EXCL|O_NOFOLLOW: whoever could write the directory planted a symlink there and
// had the next write truncate and fill the file it pointed to.
TEST(WriteFileAtomic, PlantedSymlinkAtTheTemporaryNameIsNotFollowed) {
  testing::TempDir dir;
  fs::path victim = dir.path() / "victim";
  ASSERT_TRUE(write_file_atomic(victim, "precious", 0600));
  fs::path target = dir.path() / "config";
  fs::create_symlink(victim, target.string() + ".tmp-" + std::to_string(::getpid()));
  ASSERT_TRUE(write_file_atomic(target, "new content"));
  EXPECT_EQ(*read_file(victim), "precious");
  EXPECT_EQ(*read_file(target), "new content");
}

TEST(WriteFileAtomic, ReplacesASymlinkInsteadOfWritingThroughIt) {
  testing::TempDir dir;
  fs::path victim = dir.path() / "victim";
  ASSERT_TRUE(write_file_atomic(victim, "precious", 0600));
  fs::path target = dir.path() / "config";
  fs::create_symlink(victim, target);
  ASSERT_TRUE(write_file_atomic(target, "new content"));
  EXPECT_EQ(*read_file(victim), "precious");
  EXPECT_FALSE(fs::is_symlink(target));
  EXPECT_EQ(*read_file(target), "new content");
}

TEST(WriteFileAtomic, LeavesNoTemporaryAndSetsTheMode) {
  testing::TempDir dir;
  fs::path target = dir.path() / "secret";
  ASSERT_TRUE(write_file_atomic(target, "s", 0600));
  EXPECT_EQ(fs::status(target).permissions() & fs::perms::all, fs::perms::owner_read | fs::perms::owner_write);
  size_t files = 0;
  for (auto& e : fs::directory_iterator(dir.path())) files += e.is_regular_file();
  EXPECT_EQ(files, 1u);
}

}  // namespace
}  // namespace convene
