#include "dbcluster/replication_state.h"

#include <gtest/gtest.h>

namespace convene::dbcluster {
namespace {

TEST(ReplicationLines, NoneHasNoLine) { EXPECT_TRUE(replication_lines({}).empty()); }

TEST(ReplicationLines, MasterListsEachStandbyAndSaysWhatIsNotReported) {
  ReplicationState s;
  s.role = ReplicationState::Role::master;
  s.standbys = {{"127.0.0.2", "streaming", 0, 0.25}, {"127.0.0.3", "catchup", std::nullopt, std::nullopt}};
  auto lines = replication_lines(s);
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0].second, "127.0.0.2 0 bytes, 0.250 s (streaming)");
  EXPECT_EQ(lines[1].second, "127.0.0.3 bytes not reported, replay lag not reported (idle) (catchup)");
}

TEST(ReplicationLines, StandbyAndUnknown) {
  ReplicationState s;
  s.role = ReplicationState::Role::standby;
  s.replay_backlog = 42;
  EXPECT_EQ(replication_lines(s).at(0).second, "standby, replay backlog 42 bytes");
  s.role = ReplicationState::Role::unknown;
  s.why_unknown = "PostgreSQL on this node is not running";
  EXPECT_EQ(replication_lines(s).at(0).second, "unknown: PostgreSQL on this node is not running");
  EXPECT_STREQ(replication_role_name(ReplicationState::Role::standby), "standby");
}

}  // namespace
}  // namespace convene::dbcluster
