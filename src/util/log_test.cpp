#include "util/log.h"

#include <gtest/gtest.h>

#include "util/files.h"
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

}  // namespace
}  // namespace convene
