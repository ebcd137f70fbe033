#include "xmpp/local_store.h"

#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <future>

#include "util/files.h"
#include "util/testing.h"

namespace convene::xmpp {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

json bridge(const std::string& name, const std::string& secret) {
  return {{"op", "callbridge.set"}, {"name", name}, {"secret", secret}};
}

std::unique_ptr<XmppStore> open(const fs::path& dir, LocalStoreOptions options = {}) {
  auto store = open_local_store(dir, options);
  EXPECT_TRUE(store) << store.error().text();
  return store ? std::move(*store) : nullptr;
}

std::vector<std::string> names(const XmppStore& store) {
  std::vector<std::string> out;
  for (auto& cb : store.callbridges()) out.push_back(cb.name + "=" + cb.secret);
  return out;
}

TEST(LocalStore, WritesSurviveReopen) {
  testing::TempDir dir;
  {
    auto store = open(dir.path());
    ASSERT_TRUE(store->submit_and_wait(bridge("cb1", "s1")));
    ASSERT_TRUE(store->submit_and_wait(bridge("cb2", "s2")));
    ASSERT_TRUE(store->submit_and_wait({{"op", "callbridge.del"}, {"name", "cb1"}}));
    auto refused = store->submit_and_wait(bridge("cb2", "other"));
    ASSERT_FALSE(refused);
    EXPECT_EQ(refused.error().message, "call bridge 'cb2' already exists");
  }
  EXPECT_EQ(fs::status(dir / "log").permissions() & fs::perms::all, fs::perms::owner_read | fs::perms::owner_write);
  auto store = open(dir.path());
  EXPECT_EQ(names(*store), (std::vector<std::string>{"cb2=s2"}));  // the refused one stays refused
}

TEST(LocalStore, ConcurrentSubmitsAllLandInOrderPerCaller) {
  testing::TempDir dir;
  {
    auto store = open(dir.path());
    std::vector<std::future<void>> writers;
    for (int t = 0; t < 4; ++t)
      writers.push_back(std::async(std::launch::async, [&, t] {
        for (int i = 0; i < 25; ++i)
          EXPECT_TRUE(store->submit_and_wait(bridge("t" + std::to_string(t) + "n" + std::to_string(i), "s")));
      }));
    for (auto& w : writers) w.get();
    EXPECT_EQ(store->callbridges().size(), 100u);
  }
  EXPECT_EQ(open(dir.path())->callbridges().size(), 100u);
}

TEST(LocalStore, TornTailIsDropped) {
  testing::TempDir dir;
  {
    auto store = open(dir.path());
    ASSERT_TRUE(store->submit_and_wait(bridge("cb1", "s1")));
    ASSERT_TRUE(store->submit_and_wait(bridge("cb2", "s2")));
  }
  auto full = fs::file_size(dir / "log");
  {
    auto store = open(dir.path());
    ASSERT_TRUE(store->submit_and_wait(bridge("cb3", "s3")));
  }
  auto with_third = fs::file_size(dir / "log");
  // A crash in the middle of the third record's write: its done never ran.
  fs::resize_file(dir / "log", full + (with_third - full) / 2);
  {
    auto store = open(dir.path());
    EXPECT_EQ(names(*store), (std::vector<std::string>{"cb1=s1", "cb2=s2"}));
    EXPECT_EQ(fs::file_size(dir / "log"), full);  // cut back to the last whole record
    // The log goes on cleanly after the cut.
    ASSERT_TRUE(store->submit_and_wait(bridge("cb4", "s4")));
  }
  EXPECT_EQ(names(*open(dir.path())), (std::vector<std::string>{"cb1=s1", "cb2=s2", "cb4=s4"}));
}

TEST(LocalStore, CorruptedLastRecordIsDropped) {
  testing::TempDir dir;
  {
    auto store = open(dir.path());
    ASSERT_TRUE(store->submit_and_wait(bridge("cb1", "s1")));
    ASSERT_TRUE(store->submit_and_wait(bridge("cb2", "s2")));
  }
  {
    // Flip a byte in the last record's payload: the checksum catches it.
    std::fstream f(dir / "log", std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(-3, std::ios::end);
    f.put('X');
  }
  EXPECT_EQ(names(*open(dir.path())), (std::vector<std::string>{"cb1=s1"}));
}

TEST(LocalStore, CompactsIntoSnapshotAndReopens) {
  testing::TempDir dir;
  LocalStoreOptions small;
  small.compact_records = 10;
  {
    auto store = open(dir.path(), small);
    for (int i = 0; i < 25; ++i) ASSERT_TRUE(store->submit_and_wait(bridge("cb" + std::to_string(i), "s")));
  }
  ASSERT_TRUE(fs::exists(dir / "snapshot.json"));
  EXPECT_EQ(fs::status(dir / "snapshot.json").permissions() & fs::perms::all,
            fs::perms::owner_read | fs::perms::owner_write);
  // 25 records, compacted after the 11th and the 22nd: three remain in the log.
  EXPECT_LT(fs::file_size(dir / "log"), 3 * 100u);
  auto store = open(dir.path(), small);
  EXPECT_EQ(store->callbridges().size(), 25u);
}

TEST(LocalStore, CrashBetweenSnapshotAndLogTruncationAppliesNothingTwice) {
  testing::TempDir dir;
  LocalStoreOptions never;
  never.compact_records = 1000;
  std::string old_log;
  {
    auto store = open(dir.path(), never);
    ASSERT_TRUE(store->submit_and_wait({{"op", "user.add"}, {"user", "alice"},
                                        {"sha1", encode_credentials(*make_credentials(ScramHash::sha1, "pw"))},
                                        {"sha256", encode_credentials(*make_credentials(ScramHash::sha256, "pw"))}}));
    ASSERT_TRUE(store->submit_and_wait(
        {{"op", "offline.push"}, {"user", "alice"}, {"stanza", "<message/>"}, {"stamp", 1}}));
  }
  // Compact on the next write, then put the old log back, as if the crash came
  // after the snapshot was written and before the log was emptied.
  old_log = *read_file(dir / "log");
  {
    LocalStoreOptions now;
    now.compact_records = 0;
    auto store = open(dir.path(), now);
    ASSERT_TRUE(store->submit_and_wait(bridge("cb1", "s1")));
  }
  ASSERT_TRUE(fs::exists(dir / "snapshot.json"));
  {
    std::ofstream f(dir / "log", std::ios::binary | std::ios::trunc);
    f << old_log;
  }
  auto store = open(dir.path(), never);
  EXPECT_EQ(store->offline_messages("alice").size(), 1u);  // not pushed twice
  EXPECT_TRUE(store->callbridge("cb1"));
}

// The node holding a session of the user hears of every message stored offline
// once it is applied (XmppStore::on_offline_stored), and of nothing else.
TEST(LocalStore, TellsTheOfflineListenerOfEachMessageStoredOnceApplied) {
  testing::TempDir dir;
  auto store = open(dir.path());
  ASSERT_TRUE(store->submit_and_wait({{"op", "user.add"}, {"user", "alice"},
                                      {"sha1", encode_credentials(*make_credentials(ScramHash::sha1, "pw"))},
                                      {"sha256", encode_credentials(*make_credentials(ScramHash::sha256, "pw"))}}));
  std::vector<std::string> heard;
  size_t stored_when_heard = 0;
  store->on_offline_stored([&](const std::string& user) {
    heard.push_back(user);
    stored_when_heard = store->offline_messages(user).size();
  });
  ASSERT_TRUE(store->submit_and_wait(
      {{"op", "offline.push"}, {"user", "alice"}, {"stanza", "<message/>"}, {"stamp", 1}}));
  EXPECT_FALSE(store->submit_and_wait(  // refused: no such user
      {{"op", "offline.push"}, {"user", "nobody"}, {"stanza", "<message/>"}, {"stamp", 1}}));
  ASSERT_TRUE(store->submit_and_wait(bridge("cb1", "s1")));
  EXPECT_EQ(heard, (std::vector<std::string>{"alice"}));
  EXPECT_EQ(stored_when_heard, 1u);  // applied before it is told
  store->on_offline_stored(nullptr);
  ASSERT_TRUE(store->submit_and_wait(
      {{"op", "offline.push"}, {"user", "alice"}, {"stanza", "<message/>"}, {"stamp", 2}}));
  EXPECT_EQ(heard.size(), 1u);
}

TEST(LocalStore, DamagedSnapshotRefusesToOpen) {
  testing::TempDir dir;
  { std::ofstream(dir / "snapshot.json") << "{not json"; }
  auto store = open_local_store(dir.path());
  ASSERT_FALSE(store);
  EXPECT_NE(store.error().message.find("damaged"), std::string::npos);
}

}  // namespace
}  // namespace convene::xmpp
