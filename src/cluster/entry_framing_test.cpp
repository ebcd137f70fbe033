#include "cluster/entry_framing.h"

#include <gtest/gtest.h>

namespace convene::cluster {
namespace {

TEST(EntryFraming, EveryLengthRoundTripsAndIsEightAligned) {
  for (size_t n = 0; n < 40; ++n) {
    std::string command(n, 'x');
    std::string entry = frame_command(command);
    EXPECT_EQ(entry.size() % 8, 0u) << n;
    auto back = unframe_command(entry);
    ASSERT_TRUE(back) << n;
    EXPECT_EQ(*back, command);
  }
}

TEST(EntryFraming, MalformedEntriesAreRefused) {
  EXPECT_FALSE(unframe_command(""));
  EXPECT_FALSE(unframe_command("abc"));                          // shorter than the length field
  EXPECT_FALSE(unframe_command(std::string(9, '\0')));           // not 8-aligned
  std::string entry = frame_command("hello");                    // 8 + 5 + 3 padding
  entry[7] = 9;                                                  // length past the end
  EXPECT_FALSE(unframe_command(entry));
  entry = frame_command("hello");
  entry[7] = 0;                                                  // 16 bytes for 0: too much padding
  EXPECT_FALSE(unframe_command(entry));
}

}  // namespace
}  // namespace convene::cluster
