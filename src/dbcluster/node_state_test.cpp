#include "dbcluster/node_state.h"

#include <gtest/gtest.h>

namespace convene::dbcluster {
namespace {

const std::string kMaster = "10.0.0.1";

MasterSide lists(std::string state, std::string sync) {
  MasterSide m;
  m.known = true;
  m.sender = WalSender{std::move(state), std::move(sync)};
  return m;
}
MasterSide lists_nothing() {
  MasterSide m;
  m.known = true;
  return m;
}
MasterSide master_unreachable() {
  MasterSide m;
  m.why_unknown = "master 10.0.0.1 unreachable (timeout)";
  return m;
}
SlaveSide receiving(std::string status, std::string host = kMaster) {
  SlaveSide s;
  s.known = true;
  s.receiver_status = std::move(status);
  s.sender_host = std::move(host);
  return s;
}
SlaveSide silent(std::string why) {
  SlaveSide s;
  s.why_unknown = std::move(why);
  return s;
}

TEST(NodeState, BothSidesStreamingIsConnectedWithTheMastersSyncState) {
  EXPECT_EQ(slave_state(lists("streaming", "quorum"), receiving("streaming"), kMaster, true),
            "Connected Slave ( In Sync )");
  EXPECT_EQ(slave_state(lists("streaming", "sync"), receiving("streaming"), kMaster, false),
            "Connected Slave ( In Sync )");
  EXPECT_EQ(slave_state(lists("streaming", "async"), receiving("streaming"), kMaster, false),
            "Connected Slave ( Out Of Sync )");
  EXPECT_EQ(slave_state(lists("catchup", "quorum"), receiving("streaming"), kMaster, false),
            "Connected Slave ( Catching Up )");
}

TEST(NodeState, ASlaveWhoseWalsenderIsGoneIsNotConnected) {
  EXPECT_EQ(slave_state(lists_nothing(), receiving("streaming"), kMaster, true),
            "Disconnected Slave (the master lists no replication connection from it)");
}

TEST(NodeState, ASlaveThatReceivesNothingIsNotConnectedWhateverTheMasterStillLists) {
  EXPECT_EQ(slave_state(lists("streaming", "quorum"), receiving(""), kMaster, true),
            "Disconnected Slave (no replication connection to the master)");
  EXPECT_EQ(slave_state(lists_nothing(), receiving("waiting"), kMaster, false),
            "Disconnected Slave (replication waiting)");
}

TEST(NodeState, StreamingFromAnotherHostIsNotFollowingTheMaster) {
  EXPECT_EQ(slave_state(lists_nothing(), receiving("streaming", "10.0.0.9"), kMaster, true),
            "Disconnected Slave (streaming from 10.0.0.9, not from the master 10.0.0.1)");
  SlaveSide primary = receiving("");
  primary.in_recovery = false;
  EXPECT_EQ(slave_state(lists_nothing(), primary, kMaster, true),
            "Disconnected Slave (its PostgreSQL runs as a primary: it follows no master)");
}

TEST(NodeState, MasterUnreachableFromTheAgentButStreamingIsStillConnected) {
  EXPECT_EQ(slave_state(master_unreachable(), receiving("streaming"), kMaster, true),
            "Connected Slave (sync state unknown: master 10.0.0.1 unreachable (timeout))");
  EXPECT_EQ(slave_state(master_unreachable(), receiving(""), kMaster, true), "Disconnected Slave (master unreachable)");
}

TEST(NodeState, AMasterThatAnswersAsAStandbyIsNotCalledUnreachable) {
  MasterSide standby;
  standby.reached = true;
  standby.why_unknown = "the master 10.0.0.1 is not a primary now";
  EXPECT_EQ(slave_state(standby, receiving(""), kMaster, true),
            "Disconnected Slave (the master 10.0.0.1 is not a primary now)");
}

TEST(NodeState, WhatCannotBeSeenSaysUnknownAndWhy) {
  auto down = silent("PostgreSQL on this node is not running");
  EXPECT_EQ(slave_state(master_unreachable(), down, kMaster, true),
            "unknown: master 10.0.0.1 unreachable (timeout); PostgreSQL on this node is not running");
  EXPECT_EQ(slave_state(lists_nothing(), down, kMaster, true),
            "Disconnected Slave (PostgreSQL on this node is not running)");
  EXPECT_EQ(slave_state(lists_nothing(), silent("10.0.0.3 unreachable (refused)"), kMaster, false), "Unreachable");
  EXPECT_EQ(slave_state(lists("streaming", "quorum"), silent("10.0.0.3 unreachable (refused)"), kMaster, false),
            "Connected Slave ( In Sync )");
}

TEST(NodeState, MasterLine) {
  EXPECT_EQ(master_state(true, false, "", false, false), "Connected Master");
  EXPECT_EQ(master_state(false, false, "x", false, false), "Unreachable");
  EXPECT_EQ(master_state(false, false, "PostgreSQL on this node is not running", true, false),
            "unknown: PostgreSQL on this node is not running");
  EXPECT_EQ(master_state(false, false, "", true, true), "Fenced Master (no majority: not accepting writes)");
  EXPECT_EQ(master_state(true, true, "", false, false),
            "Disconnected Master (its PostgreSQL is a standby, not yet a primary)");
}

}  // namespace
}  // namespace convene::dbcluster
