// The history a joiner gets: what <history/> asks for, oldest first, stamped.
#include "callbridge/room_history.h"

#include <gtest/gtest.h>

namespace convene::callbridge {
namespace {

std::vector<HistoryEntry> kept(int n, int64_t first_ms, int64_t step_ms) {
  std::vector<HistoryEntry> out;
  for (int i = 0; i < n; ++i)
    out.push_back({first_ms + i * step_ms, "<message from='r@cb1.tptac9.com/A' type='groupchat'><body>m" +
                                               std::to_string(i) + "</body></message>"});
  return out;
}

TEST(RoomHistory, MaxStanzasGivesTheNewestOldestFirst) {
  HistoryRequest r;
  r.max_stanzas = 2;
  auto out = history_to_send(kept(5, 1000, 1000), r, 10000, "r@cb1.tptac9.com", "bob@tptac9.com/x");
  ASSERT_EQ(out.size(), 2u);
  EXPECT_NE(out[0].find("m3"), std::string::npos);
  EXPECT_NE(out[1].find("m4"), std::string::npos);
  EXPECT_NE(out[1].find("to='bob@tptac9.com/x'"), std::string::npos);
  EXPECT_NE(out[1].find("<delay xmlns='urn:xmpp:delay' from='r@cb1.tptac9.com' stamp='1970-01-01T00:00:05.000Z'/>"),
            std::string::npos)
      << out[1];
}

TEST(RoomHistory, SecondsSinceAndZero) {
  HistoryRequest r;
  r.seconds = 3;
  EXPECT_EQ(history_to_send(kept(10, 1000, 1000), r, 10000, "r", "b").size(), 4u);  // 7, 8, 9, 10 s
  HistoryRequest since;
  since.since_ms = parse_xep0082("1970-01-01T00:00:08Z");
  ASSERT_TRUE(since.since_ms);
  EXPECT_EQ(history_to_send(kept(10, 1000, 1000), since, 10000, "r", "b").size(), 2u);  // 9, 10 s
  HistoryRequest none;
  none.max_stanzas = 0;
  EXPECT_TRUE(history_to_send(kept(3, 0, 1), none, 10, "r", "b").empty());
  HistoryRequest defaults;
  EXPECT_EQ(history_to_send(kept(kHistoryKept, 0, 1), defaults, 100, "r", "b").size(),
            static_cast<std::size_t>(kHistorySent));
}

TEST(RoomHistory, Xep0082RoundTrip) {
  EXPECT_EQ(xep0082_stamp(*parse_xep0082("2026-12-06T23:00:01.250Z")), "2026-12-06T23:00:01.250Z");
  EXPECT_FALSE(parse_xep0082("yesterday"));
  EXPECT_FALSE(parse_xep0082("2026-12-06T23:00:01+02:00"));
}

}  // namespace
}  // namespace convene::callbridge
