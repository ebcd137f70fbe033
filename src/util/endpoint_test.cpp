#include "util/endpoint.h"

#include <gtest/gtest.h>

namespace convene {

TEST(Endpoint, ParsesTheWrittenForms) {
  EXPECT_EQ(*Endpoint::parse("10.0.0.1", 5223), (Endpoint{"10.0.0.1", 5223}));
  EXPECT_EQ(*Endpoint::parse("10.0.0.1:5999", 5223), (Endpoint{"10.0.0.1", 5999}));
  EXPECT_EQ(*Endpoint::parse("xmpp.example.com", 5223), (Endpoint{"xmpp.example.com", 5223}));
  EXPECT_EQ(*Endpoint::parse("[::1]", 53), (Endpoint{"::1", 53}));
  EXPECT_EQ(*Endpoint::parse("[::1]:5223", 53), (Endpoint{"::1", 5223}));
}

TEST(Endpoint, RefusesMalformedText) {
  struct Case {
    const char* text;
    const char* why;
  };
  for (auto [text, why] : {Case{"[::1", "missing ']'"}, Case{"[::1]5223", "expected ':' after ']'"},
                           Case{"::1:5223", "write IPv6 addresses as [address]:port"},
                           Case{"1.2.3.4:5:6", "write IPv6 addresses as [address]:port"}, Case{"", "no host"},
                           Case{":5223", "no host"}, Case{"[]:1", "no host"}, Case{"host:", "no port after ':'"},
                           Case{"host:0", "the port must be a number from 1 to 65535"},
                           Case{"host:65536", "the port must be a number from 1 to 65535"},
                           Case{"host:52x", "the port must be a number from 1 to 65535"}}) {
    auto r = Endpoint::parse(text, 1);
    ASSERT_FALSE(r) << text;
    EXPECT_EQ(r.error().message, why) << text;
    EXPECT_EQ(r.code(), ErrorCode::invalid_argument);
  }
}

TEST(Endpoint, ToStringBracketsIpv6) {
  EXPECT_EQ((Endpoint{"10.0.0.1", 7000}).to_string(), "10.0.0.1:7000");
  EXPECT_EQ((Endpoint{"::1", 7000}).to_string(), "[::1]:7000");
  EXPECT_EQ(Endpoint::parse("[fe80::1]:80", 1)->to_string(), "[fe80::1]:80");
}

TEST(Endpoint, SplitsOwnAddressesAtTheLastColon) {
  EXPECT_EQ(*Endpoint::split("127.0.1.1:7000"), (Endpoint{"127.0.1.1", 7000}));
  EXPECT_EQ(*Endpoint::split("::1:7000"), (Endpoint{"::1", 7000}));
  EXPECT_EQ(*Endpoint::split("[::1]:7000"), (Endpoint{"::1", 7000}));
  EXPECT_EQ(Endpoint::split("127.0.1.1").error().message, "address '127.0.1.1' is not host:port");
  EXPECT_EQ(Endpoint::split(":7000").error().message, "address ':7000' is not host:port");
  EXPECT_EQ(Endpoint::split("a:0").error().message, "address 'a:0' has no valid port");
  EXPECT_EQ(Endpoint::split("a:70000").code(), ErrorCode::invalid_argument);
}

TEST(Endpoint, HostOf) {
  EXPECT_EQ(host_of("127.0.1.1:7000"), "127.0.1.1");
  EXPECT_EQ(host_of("127.0.1.1"), "127.0.1.1");
  EXPECT_EQ(host_of("::1:7000"), "::1");
}

}  // namespace convene
