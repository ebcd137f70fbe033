#include "dbcluster/master_choice.h"

#include <gtest/gtest.h>

#include "dbcluster/master_record.h"

namespace convene::dbcluster {
namespace {

StandbyReport standby(std::string address, std::uint64_t lsn) { return {std::move(address), true, true, true, 3, lsn}; }

TEST(MasterChoice, MostAdvancedStandbyWins) {
  EXPECT_EQ(choose_new_master({standby("10.0.0.2", 100), standby("10.0.0.3", 250)}, 3, false), "10.0.0.3");
}

TEST(MasterChoice, TieGoesToLowestAddress) {
  EXPECT_EQ(choose_new_master({standby("10.0.0.3", 7), standby("10.0.0.2", 7)}, 3, false), "10.0.0.2");
}

TEST(MasterChoice, WaitsForEveryReachableMemberToReportFresh) {
  auto stale = standby("10.0.0.3", 999);
  stale.fresh = false;
  EXPECT_EQ(choose_new_master({standby("10.0.0.2", 1), stale}, 3, false), std::nullopt);
  // After the wait, a stale position is not trusted: it could have grown since.
  EXPECT_EQ(choose_new_master({standby("10.0.0.2", 1), stale}, 3, true), "10.0.0.2");
}

TEST(MasterChoice, IgnoresUnreachablePrimariesAndOtherEpochs) {
  auto gone = standby("10.0.0.4", 999);
  gone.reachable = false;
  auto primary = standby("10.0.0.5", 999);
  primary.standby = false;
  auto old = standby("10.0.0.6", 999);
  old.epoch = 2;
  EXPECT_EQ(choose_new_master({gone, primary, old, standby("10.0.0.2", 1)}, 3, false), "10.0.0.2");
  EXPECT_EQ(choose_new_master({gone, primary, old}, 3, true), std::nullopt);
}

TEST(MasterChoice, MasterLostAfterSilenceOrWhenNoLongerAMember) {
  EXPECT_TRUE(master_lost(false, 10, 0, 2000));
  EXPECT_FALSE(master_lost(true, 1999, 99999, 2000));
  EXPECT_TRUE(master_lost(true, 2001, 0, 2000));
  EXPECT_FALSE(master_lost(true, std::nullopt, 1500, 2000));  // new leader: gives it time to be heard
  EXPECT_TRUE(master_lost(true, std::nullopt, 2500, 2000));
}

TEST(MasterRecord, PromotionIsACompareAndSetOnTheEpoch) {
  MasterRecord r;
  EXPECT_EQ(r.apply(init_command("10.0.0.1")), "ok");
  EXPECT_EQ(r.view().epoch, 1u);
  EXPECT_EQ(r.apply(promote_command("10.0.0.2", 1, "2026-11-22T14:00:00Z")), "ok");
  EXPECT_EQ(r.view().previous, "10.0.0.1");
  EXPECT_EQ(r.view().since, "2026-11-22T14:00:00Z");
  // A second leader deciding from the same epoch loses: no two masters.
  EXPECT_EQ(r.apply(promote_command("10.0.0.3", 1)), "stale");
  EXPECT_EQ(r.view().master, "10.0.0.2");
  EXPECT_EQ(r.view().epoch, 2u);
  EXPECT_EQ(r.apply("not json"), "bad");
}

TEST(MasterRecord, SnapshotRestoresMasterEpochAndHellos) {
  MasterRecord a;
  a.apply(init_command("10.0.0.1"));
  a.apply(promote_command("10.0.0.3", 1));
  a.apply(hello_command(42, 7));
  MasterRecord b;
  b.restore(a.snapshot());
  EXPECT_EQ(b.view().master, "10.0.0.3");
  EXPECT_EQ(b.view().epoch, 2u);
  EXPECT_EQ(b.view().hellos.at(42), 7u);
  EXPECT_EQ(b.view().previous, "10.0.0.1");
}

}  // namespace
}  // namespace convene::dbcluster
