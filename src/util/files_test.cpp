#include "util/files.h"
#include "util/safe_files.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
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

// Root writing into a directory another account owns: the file belongs to that
// account from the start (the temporary is fchown-ed), so no window where it is
// root's, and no chown that could follow a name the other account swapped in.
TEST(WriteFileAtomic, GivesTheFileItsOwnerBeforeTheRename) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root to give a file away";
  testing::TempDir dir;
  fs::path target = dir.path() / "owned";
  ASSERT_TRUE(write_file_atomic(target, "x", 0600, FileOwner{65534, 65534}));
  struct stat st {};
  ASSERT_EQ(::lstat(target.c_str(), &st), 0);
  EXPECT_EQ(st.st_uid, 65534u);
  EXPECT_EQ(st.st_gid, 65534u);
  EXPECT_EQ(st.st_mode & 07777, 0600u);
}

TEST(ReadRegularFile, RefusesASymlinkAndASpecialFile) {
  testing::TempDir dir;
  fs::path secret = dir.path() / "secret";
  ASSERT_TRUE(write_file_atomic(secret, "key material", 0600));
  fs::path link = dir.path() / "innocent.crt";
  fs::create_symlink(secret, link);
  auto r = read_regular_file(link);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("not a regular file"), std::string::npos) << r.error().message;
  EXPECT_FALSE(read_regular_file("/dev/null").ok());
  EXPECT_EQ(*read_regular_file(secret), "key material");
}

}  // namespace
}  // namespace convene
