#include "admin/callbridge_settings.h"

#include <gtest/gtest.h>

#include "util/testing.h"

namespace convene {
namespace {

TEST(ParseIpEndpoint, AddsTheDefaultPortAndKeepsAGivenOne) {
  EXPECT_EQ(*parse_ip_endpoint("127.0.1.1", 5223, "server"), "127.0.1.1:5223");
  EXPECT_EQ(*parse_ip_endpoint("127.0.1.1:5300", 5223, "server"), "127.0.1.1:5300");
  EXPECT_EQ(*parse_ip_endpoint("[::1]", 53, "dns"), "[::1]:53");
  EXPECT_EQ(*parse_ip_endpoint("[2001:db8::1]:5353", 53, "dns"), "[2001:db8::1]:5353");
}

TEST(ParseIpEndpoint, RefusesWhatIsNotAnIpAndPort) {
  for (const char* bad : {"", "node1.tptac9.com", "127.0.1", "127.0.1.1:", "127.0.1.1:0", "127.0.1.1:65536",
                          "127.0.1.1:52x", "::1", "[::1", "[::1]5223", "[127.0.0.1]:5223", "1.2.3.4:5:6"}) {
    auto r = parse_ip_endpoint(bad, 5223, "XMPP server address");
    ASSERT_FALSE(r) << bad;
    EXPECT_NE(r.error().message.find("invalid XMPP server address"), std::string::npos) << r.error().message;
    EXPECT_FALSE(r.error().hint.empty());
  }
}

TEST(CallbridgeSecret, RefusesEmptySpacesControlAndOverlong) {
  EXPECT_TRUE(check_callbridge_secret("kvgP1SRzWVabhiPVAb1"));
  for (std::string bad : {std::string(), std::string("two words"), std::string("tab\there"), std::string(257, 'a')})
    EXPECT_FALSE(check_callbridge_secret(bad)) << bad;
}

TEST(CallbridgeLaunch, NamesTheFirstMissingSettingAndItsCommand) {
  testing::TempDir dir;
  NodePaths paths(dir.path());
  ASSERT_TRUE(paths.create());
  auto r = callbridge_launch(paths, nlohmann::json::object());
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().hint.find("callbridge name"), std::string::npos);
  r = callbridge_launch(paths, {{"name", "cb1"}});
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().hint.find("callbridge domain"), std::string::npos);
  r = callbridge_launch(paths, {{"name", "cb1"}, {"domain", "tptac9.com"}});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message, "no call bridge secret");
  EXPECT_NE(r.error().hint.find("callbridge secret"), std::string::npos);
  EXPECT_FALSE(std::filesystem::exists(callbridge_files(paths).dir));  // a refusal creates nothing
}

}  // namespace
}  // namespace convene
