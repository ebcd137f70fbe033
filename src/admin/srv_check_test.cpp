#include "admin/srv_check.h"

#include <gtest/gtest.h>

namespace convene {
namespace {

Result<std::vector<std::string>> lab_dns(const std::string& host) {
  if (host == "node1.x") return std::vector<std::string>{"10.0.0.1"};
  if (host == "node2.x") return std::vector<std::string>{"10.0.0.2"};
  if (host == "other.x") return std::vector<std::string>{"10.9.9.9"};
  return make_error("no such name");
}

std::string all(const SrvCheck& c) {
  std::string s;
  for (auto& l : c.lines) s += l + "\n";
  return s;
}

TEST(SrvCheck, EveryNodeListedOnTheRightPortIsClean) {
  dns::SrvAnswer a{{{"node1.x", 5223, 10, 50}, {"node2.x", 5223, 10, 50}}, std::chrono::seconds(300)};
  auto c = check_srv("_xmpp-component._tcp.x", a, lab_dns, 5223, {"10.0.0.1", "10.0.0.2"});
  EXPECT_EQ(c.problems, 0) << all(c);
}

TEST(SrvCheck, MissingNodeWrongPortUnresolvableAndStrangerAreEachNamed) {
  dns::SrvAnswer a{{{"node1.x", 5222, 10, 50}, {"ghost.x", 5223, 10, 50}, {"other.x", 5223, 20, 0}},
                   std::chrono::seconds(300)};
  auto c = check_srv("_xmpp-component._tcp.x", a, lab_dns, 5223, {"10.0.0.1", "10.0.0.2"});
  EXPECT_EQ(c.problems, 4) << all(c);
  auto text = all(c);
  EXPECT_NE(text.find("node1.x:5222 (priority 10, weight 50) -> 10.0.0.1: wrong port"), std::string::npos) << text;
  EXPECT_NE(text.find("ghost.x:5223 (priority 10, weight 50): the target does not resolve"), std::string::npos) << text;
  EXPECT_NE(text.find("other.x:5223 (priority 20, weight 0) -> 10.9.9.9: not an XMPP node"), std::string::npos) << text;
  EXPECT_NE(text.find("node 10.0.0.2 is missing"), std::string::npos) << text;
}

TEST(SrvCheck, AFailedLookUpIsOneProblemWithTheRecordToAdd) {
  Result<dns::SrvAnswer> failed = make_error("_xmpp-client._tcp.x: no such name");
  auto c = check_srv("_xmpp-client._tcp.x", failed, lab_dns, 5222, {"10.0.0.1"});
  EXPECT_EQ(c.problems, 1);
  EXPECT_NE(all(c).find("IN SRV 10 50 5222"), std::string::npos) << all(c);
}

}  // namespace
}  // namespace convene
