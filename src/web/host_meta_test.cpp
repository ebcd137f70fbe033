#include "web/host_meta.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "web/xmpp_websocket.h"

namespace convene::web {
namespace {

TEST(HostMeta, XrdListsEachWebSocketUrlInOrder) {
  auto xrd = render_host_meta_xrd({"wss://a.example/xmpp-websocket", "wss://b.example:8443/xmpp-websocket"});
  auto first = xrd.find("href=\"wss://a.example/xmpp-websocket\"");
  auto second = xrd.find("href=\"wss://b.example:8443/xmpp-websocket\"");
  ASSERT_NE(first, std::string::npos) << xrd;
  ASSERT_NE(second, std::string::npos) << xrd;
  EXPECT_LT(first, second);
  EXPECT_NE(xrd.find("<XRD xmlns=\"http://docs.oasis-open.org/ns/xri/xrd-1.0\">"), std::string::npos);
  EXPECT_NE(xrd.find("rel=\"urn:xmpp:alt-connections:websocket\""), std::string::npos);
}

TEST(HostMeta, JsonHasTheSameLinks) {
  auto doc = nlohmann::json::parse(render_host_meta_json({"wss://a.example/xmpp-websocket"}));
  ASSERT_EQ(doc["links"].size(), 1u);
  EXPECT_EQ(doc["links"][0]["rel"], "urn:xmpp:alt-connections:websocket");
  EXPECT_EQ(doc["links"][0]["href"], "wss://a.example/xmpp-websocket");
  EXPECT_EQ(nlohmann::json::parse(render_host_meta_json({}))["links"].size(), 0u);
}

TEST(HostMeta, OnlyPlainHostsAreTaken) {
  EXPECT_EQ(plain_host("meet.example.com:8443"), "meet.example.com:8443");
  EXPECT_EQ(plain_host("[::1]:445"), "[::1]:445");
  EXPECT_FALSE(plain_host("a\"><script>"));
  EXPECT_FALSE(plain_host(""));
  EXPECT_FALSE(plain_host("a/b"));
}

}  // namespace
}  // namespace convene::web

namespace convene::web {
namespace {

TEST(PeerWebSocketUrl, CanonicalFormOrNothing) {
  EXPECT_EQ(canonical_websocket_url("wss://10.0.0.2:445/xmpp-websocket"), "wss://10.0.0.2:445/xmpp-websocket");
  EXPECT_EQ(canonical_websocket_url("WSS://Node2.Example.COM:445"), "wss://node2.example.com:445/xmpp-websocket");
  EXPECT_EQ(canonical_websocket_url("wss://node2.example.com:443/ws"), "wss://node2.example.com/ws");
  EXPECT_FALSE(canonical_websocket_url("https://10.0.0.2:445/xmpp-websocket"));  // not a WebSocket URL
  EXPECT_FALSE(canonical_websocket_url("ws://10.0.0.2:445/xmpp-websocket"));     // not over TLS
  EXPECT_FALSE(canonical_websocket_url("wss://"));
  EXPECT_FALSE(canonical_websocket_url("wss://a b/x"));
  EXPECT_FALSE(canonical_websocket_url("wss://host/x\"><script>"));  // would be echoed into host-meta
}

}  // namespace
}  // namespace convene::web
