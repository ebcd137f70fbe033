#include "util/log.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/files.h"
#include "util/journal_stream.h"
#include "util/testing.h"

namespace convene {
namespace {

std::string escaped(std::string_view text) {
  spdlog::memory_buf_t out;
  escape_control_characters(text, out);
  return std::string(out.data(), out.size());
}

TEST(Log, ControlCharactersAreEscaped) {
  EXPECT_EQ(escaped("plain text, caf\xc3\xa9"), "plain text, caf\xc3\xa9");
  EXPECT_EQ(escaped("a\nb\rc\td"), "a\\nb\\rc\\td");
  EXPECT_EQ(escaped(std::string("\x1b[2J\x7f\0", 6)), "\\x1b[2J\\x7f\\x00");
}

// A user name sent by a client cannot forge a second log line: what would have
// been "[...] [xmpp] [warning] authentication failure ...\n[...] [admin] [info] ..."
// stays one record on one line.
TEST(Log, AClientCannotForgeALogLine) {
  testing::TempDir dir;
  auto file = dir.path() / "convened.log";
  init_logging(file);
  logger("test")->warn("wrong user or password for '{}'", "eve\n[2026-01-01 00:00:00.000] [admin] [info] admin logged in");
  logger("test")->flush();
  auto text = read_file(file);
  ASSERT_TRUE(text);
  EXPECT_EQ(std::count(text->begin(), text->end(), '\n'), 1) << *text;
  EXPECT_NE(text->find("for 'eve\\n[2026-01-01"), std::string::npos) << *text;
  init_logging({});
}

TEST(Log, JournalStreamIsRecognisedByDeviceAndInode) {
  testing::TempDir dir;
  int fd = ::open((dir.path() / "stderr").c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
  ASSERT_GE(fd, 0);
  struct stat st {};
  ASSERT_EQ(::fstat(fd, &st), 0);
  ::unsetenv("JOURNAL_STREAM");
  EXPECT_FALSE(is_journal_stream(fd));
  std::string mine = std::to_string(st.st_dev) + ":" + std::to_string(st.st_ino);
  ::setenv("JOURNAL_STREAM", mine.c_str(), 1);
  EXPECT_TRUE(is_journal_stream(fd));
  // Inherited by a child whose stderr went elsewhere: not the journal.
  std::string other = std::to_string(st.st_dev) + ":" + std::to_string(st.st_ino + 1);
  ::setenv("JOURNAL_STREAM", other.c_str(), 1);
  EXPECT_FALSE(is_journal_stream(fd));
  ::setenv("JOURNAL_STREAM", "garbage", 1);
  EXPECT_FALSE(is_journal_stream(fd));
  ::unsetenv("JOURNAL_STREAM");
  ::close(fd);
}

}  // namespace
}  // namespace convene
