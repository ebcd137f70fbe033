#include "web/host_meta.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

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
