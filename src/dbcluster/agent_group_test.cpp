#include "dbcluster/agent_group.h"

#include <gtest/gtest.h>

namespace convene::dbcluster {
namespace {

TEST(AgentGroup, AnotherMemberMaySubmitOnlyItsOwnHello) {
  EXPECT_TRUE(AgentGroup::check_remote_command(7, hello_command(7, 42)));
  EXPECT_FALSE(AgentGroup::check_remote_command(7, hello_command(8, 42))) << "a hello for another member";
  auto promote = AgentGroup::check_remote_command(7, promote_command("10.0.0.9", 1));
  ASSERT_FALSE(promote);
  EXPECT_NE(promote.error().message.find("'promote' refused"), std::string::npos) << promote.error().message;
  EXPECT_FALSE(AgentGroup::check_remote_command(7, init_command("10.0.0.9")));
  EXPECT_FALSE(AgentGroup::check_remote_command(7, "{\"op\":7}"));
  EXPECT_FALSE(AgentGroup::check_remote_command(7, "not json"));
}

}  // namespace
}  // namespace convene::dbcluster
