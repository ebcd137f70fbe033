#include "dbcluster/callbridge_schema.h"

#include <gtest/gtest.h>

namespace convene::dbcluster {
namespace {

using V = std::vector<std::string>;

TEST(ApplicationHosts, TheMasterFirstThenTheOthersInOrder) {
  EXPECT_EQ(application_hosts({"127.0.1.1", "127.0.1.2", "127.0.1.3"}, "127.0.1.3", "127.0.1.2"),
            (V{"127.0.1.2", "127.0.1.1", "127.0.1.3"}));
}

TEST(ApplicationHosts, ThisNodeAndTheMasterAreListedWhenTheTableDoesNotYet) {
  EXPECT_EQ(application_hosts({}, "127.0.1.2", "127.0.1.1"), (V{"127.0.1.1", "127.0.1.2"}));
  EXPECT_EQ(application_hosts({"127.0.1.1"}, "127.0.1.1", ""), (V{"127.0.1.1"}));
}

}  // namespace
}  // namespace convene::dbcluster
