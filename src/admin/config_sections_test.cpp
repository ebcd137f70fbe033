#include "admin/config_sections.h"

#include <gtest/gtest.h>

namespace convene {
namespace {

using nlohmann::json;

TEST(ConfigSections, AbsentSectionsReadAsDefaults) {
  auto x = json().get<XmppConfig>();
  EXPECT_EQ(x.domain, "");
  EXPECT_TRUE(x.listen.empty());
  EXPECT_FALSE(x.enabled);
  EXPECT_EQ(x.client_port, 5222u);
  EXPECT_EQ(x.component_port, 5223u);
  EXPECT_EQ(x.cluster.port, kXmppClusterPort);
  EXPECT_FALSE(x.cluster.member);
  EXPECT_TRUE(x.limits.is_object());
  auto c = json("not an object").get<CallbridgeConfig>();
  EXPECT_FALSE(c.enabled);
  EXPECT_FALSE(c.server);
  EXPECT_FALSE(c.dns);
}

TEST(ConfigSections, ReadsTheOperatorsKeys) {
  json j = {{"domain", "tptac9.com"},
            {"listen", {"a", "b"}},
            {"key", "k.key"},
            {"cert", "c.cer"},
            {"enabled", true},
            {"registration", true},
            {"limits", {{"max-depth", 8}}},
            {"client-port", 15222},
            {"cluster", {{"enabled", true}, {"trust", "ca.pem"}}}};
  auto x = j.get<XmppConfig>();
  EXPECT_EQ(x.domain, "tptac9.com");
  EXPECT_EQ(x.listen, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(x.bundle, "");
  EXPECT_TRUE(x.enabled);
  EXPECT_FALSE(x.plaintext);
  EXPECT_TRUE(x.registration);
  EXPECT_EQ(x.limits["max-depth"], 8);
  EXPECT_EQ(x.client_port, 15222u);
  EXPECT_EQ(x.component_port, 5223u);
  EXPECT_TRUE(x.cluster.enabled);
  EXPECT_EQ(x.cluster.trust, "ca.pem");
  EXPECT_EQ(x.cluster.port, 5224u);
}

TEST(ConfigSections, WrongTypeThrows) {
  EXPECT_THROW((json{{"enabled", "yes"}}.get<XmppConfig>()), json::type_error);
}

TEST(ConfigSections, RoundTrip) {
  XmppConfig x;
  x.domain = "d";
  x.listen = {"a"};
  x.cluster.member = true;
  x.cluster.port = 6000;
  auto back = json(x).get<XmppConfig>();
  EXPECT_EQ(back.domain, "d");
  EXPECT_EQ(back.listen, x.listen);
  EXPECT_TRUE(back.cluster.member);
  EXPECT_EQ(back.cluster.port, 6000u);

  CallbridgeConfig c;
  c.name = "cb1";
  c.server = "127.0.1.1:5223";
  json cj = c;
  EXPECT_FALSE(cj.contains("dns"));  // absent means "use the system's resolver", not ""
  auto cb = cj.get<CallbridgeConfig>();
  EXPECT_EQ(cb.server, c.server);
  EXPECT_FALSE(cb.dns);
}

}  // namespace
}  // namespace convene
