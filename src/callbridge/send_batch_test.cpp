#include "callbridge/send_batch.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace convene::callbridge {
namespace {

TEST(SendBatch, OneWriteForEverythingAddedBeforeTheFlush) {
  std::vector<std::string> writes;
  SendBatch batch([&](std::string_view b) { writes.emplace_back(b); });
  batch.add("<a/>");
  batch.add("<b/>");
  batch.add("<c/>");
  EXPECT_TRUE(writes.empty());
  batch.flush();
  ASSERT_EQ(writes.size(), 1u);
  EXPECT_EQ(writes[0], "<a/><b/><c/>");
  batch.flush();  // nothing pending: no empty write
  EXPECT_EQ(writes.size(), 1u);
}

TEST(SendBatch, WritesEarlyOnceTheBoundIsReachedAndKeepsTheOrder) {
  std::vector<std::string> writes;
  SendBatch batch([&](std::string_view b) { writes.emplace_back(b); });
  const std::string stanza(1000, 'x');
  std::string all;
  for (int i = 0; i < 600; ++i) {
    std::string s = "<m n='" + std::to_string(i) + "'>" + stanza + "</m>";
    all += s;
    batch.add(s);
    EXPECT_LT(batch.pending(), SendBatch::kFlushAt);
  }
  batch.flush();
  ASSERT_GE(writes.size(), 2u);
  std::string joined;
  for (auto& w : writes) joined += w;
  EXPECT_EQ(joined, all);
}

TEST(SendBatch, AnEmptyStanzaFlushes) {
  std::vector<std::string> writes;
  SendBatch batch([&](std::string_view b) { writes.emplace_back(b); });
  batch.add("<a/>");
  batch.add("");
  ASSERT_EQ(writes.size(), 1u);
  EXPECT_EQ(writes[0], "<a/>");
  batch.add("");
  EXPECT_EQ(writes.size(), 1u);
}

}  // namespace
}  // namespace convene::callbridge
