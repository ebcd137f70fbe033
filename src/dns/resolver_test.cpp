// Against a real DNS server (dnsmasq), as the call bridge will use it.
#include "dns/resolver.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "dns/dnsmasq_for_tests.h"

namespace convene::dns {
namespace {

TEST(Resolver, SrvRecordsWithPriorityWeightAndTtl) {
  testing::Dnsmasq dns({
      "srv-host=_xmpp-component._tcp.tptac9.com,node1.tptac9.com,5223,10,60",
      "srv-host=_xmpp-component._tcp.tptac9.com,node2.tptac9.com,5223,10,40",
      "srv-host=_xmpp-component._tcp.tptac9.com,node3.tptac9.com,5223,20,0",
      "address=/node1.tptac9.com/127.0.1.1",
  });
  auto resolver = Resolver::create(dns.server());
  ASSERT_TRUE(resolver);
  auto answer = (*resolver)->srv("_xmpp-component._tcp.tptac9.com");
  ASSERT_TRUE(answer) << answer.error().text();
  ASSERT_EQ(answer->targets.size(), 3u);
  EXPECT_EQ(answer->ttl.count(), 30);
  auto targets = answer->targets;
  std::sort(targets.begin(), targets.end(), [](auto& a, auto& b) { return a.host < b.host; });
  EXPECT_EQ(targets[0], (SrvTarget{"node1.tptac9.com", 5223, 10, 60}));
  EXPECT_EQ(targets[2], (SrvTarget{"node3.tptac9.com", 5223, 20, 0}));

  std::mt19937_64 rng(5);
  auto ordered = order_srv_targets(answer->targets, rng);
  EXPECT_EQ(ordered.back().host, "node3.tptac9.com");

  auto addrs = (*resolver)->addresses("node1.tptac9.com");
  ASSERT_TRUE(addrs) << addrs.error().text();
  EXPECT_EQ(*addrs, std::vector<std::string>{"127.0.1.1"});
}

TEST(Resolver, MissingRecordNamesTheRecordAndTheError) {
  testing::Dnsmasq dns({"address=/node1.tptac9.com/127.0.1.1"});
  auto resolver = Resolver::create(dns.server());
  auto answer = (*resolver)->srv("_xmpp-component._tcp.tptac9.com");
  ASSERT_FALSE(answer);
  EXPECT_NE(answer.error().message.find("DNS lookup of _xmpp-component._tcp.tptac9.com failed"), std::string::npos);
  auto host = (*resolver)->addresses("nowhere.tptac9.com");
  ASSERT_FALSE(host);
  EXPECT_NE(host.error().message.find("nowhere.tptac9.com"), std::string::npos);
}

TEST(Resolver, SilentServerIsATimeout) {
  // Nothing listens on this UDP port of 127.0.0.1: the query times out (or is refused).
  auto resolver = Resolver::create("127.0.0.1:9", std::chrono::milliseconds(200));
  ASSERT_TRUE(resolver);
  auto answer = (*resolver)->srv("_xmpp-component._tcp.tptac9.com");
  ASSERT_FALSE(answer);
  EXPECT_NE(answer.error().message.find("failed"), std::string::npos);
}

}  // namespace
}  // namespace convene::dns
