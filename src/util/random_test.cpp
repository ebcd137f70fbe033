#include "util/random.h"

#include <gtest/gtest.h>

#include <array>
#include <set>

namespace convene {

TEST(Random, IdHasLengthAndAlphabet) {
  for (size_t n : {0u, 1u, 16u, 63u, 64u, 65u, 200u}) {
    auto id = random_id(n);
    EXPECT_EQ(id.size(), n);
    for (char c : id)
      EXPECT_TRUE((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) << int(c);
  }
}

TEST(Random, IdsDiffer) {
  std::set<std::string> seen;
  for (int i = 0; i < 100; ++i) seen.insert(random_id(16));
  EXPECT_EQ(seen.size(), 100u);
}

TEST(Random, IdUsesWholeAlphabetRoughlyEvenly) {
  // 62 symbols over 62,000 draws: about 1000 each. A bias of the old `% 62` kind
  // (8 symbols 5/4 as likely) would put those near 1240; allow a wide band.
  std::string s = random_id(62000);
  std::array<int, 128> count{};
  for (char c : s) ++count[static_cast<unsigned char>(c)];
  int used = 0;
  for (int c : count)
    if (c) {
      ++used;
      EXPECT_GT(c, 800);
      EXPECT_LT(c, 1200);
    }
  EXPECT_EQ(used, 62);
}

TEST(Random, Bytes) {
  EXPECT_EQ(random_bytes(0).size(), 0u);
  EXPECT_EQ(random_bytes(33).size(), 33u);
  EXPECT_NE(random_bytes(32), random_bytes(32));
  EXPECT_NE(random_u64(), random_u64());
}

}  // namespace convene
