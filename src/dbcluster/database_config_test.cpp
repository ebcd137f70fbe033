#include "dbcluster/database_config.h"

#include <gtest/gtest.h>

namespace convene::dbcluster {
namespace {

using nlohmann::json;

TEST(DatabaseConfig, AbsentSectionReadsAsDefaults) {
  for (const json& j : {json(), json::object(), json("not an object")}) {
    auto c = j.get<DatabaseConfig>();
    EXPECT_EQ(c.interface, "");
    EXPECT_FALSE(c.certs);
    EXPECT_FALSE(c.enabled);
    EXPECT_EQ(c.master, "");
    EXPECT_EQ(c.last_command, "");
    EXPECT_TRUE(c.last_ok);  // no command run: no failure shown
    EXPECT_EQ(c.last_error, "");
  }
}

TEST(DatabaseConfig, PartialSection) {
  // What `database cluster localnode eth1` leaves on a fresh node.
  json j = {{"interface", "eth1"},
            {"last_command", "database cluster localnode eth1"},
            {"last_ok", true},
            {"last_error", ""}};
  auto c = j.get<DatabaseConfig>();
  EXPECT_EQ(c.interface, "eth1");
  EXPECT_EQ(c.last_command, "database cluster localnode eth1");
  EXPECT_FALSE(c.certs);  // initialize and join refuse without them
  EXPECT_FALSE(c.enabled);
  EXPECT_EQ(c.master, "");

  // A removed node: enabled false, master erased; a certs object missing a name reads it as "".
  json removed = {{"enabled", false}, {"certs", {{"server_key", "s.key"}}}, {"last_ok", false}};
  auto r = removed.get<DatabaseConfig>();
  EXPECT_FALSE(r.enabled);
  EXPECT_EQ(r.master, "");
  ASSERT_TRUE(r.certs);
  EXPECT_EQ(r.certs->server_key, "s.key");
  EXPECT_EQ(r.certs->ca_cert, "");
  EXPECT_FALSE(r.last_ok);
}

TEST(DatabaseConfig, WrongTypeThrows) {
  EXPECT_THROW((json{{"enabled", "yes"}}.get<DatabaseConfig>()), json::type_error);
  EXPECT_THROW((json{{"certs", "a.key"}}.get<DatabaseConfig>()), json::type_error);
}

TEST(DatabaseConfig, RoundTrip) {
  DatabaseConfig c;
  c.interface = "eth0";
  c.certs = CertNames{"s.key", "s.cer", "c.key", "c.cer", "ca.cer"};
  c.enabled = true;
  c.master = "10.0.0.1";
  c.last_command = "database cluster initialize";
  c.last_ok = false;
  c.last_error = "boom";
  json j = c;
  auto back = j.get<DatabaseConfig>();
  EXPECT_EQ(back.interface, "eth0");
  ASSERT_TRUE(back.certs);
  EXPECT_EQ(back.certs->server_key, "s.key");
  EXPECT_EQ(back.certs->server_cert, "s.cer");
  EXPECT_EQ(back.certs->client_key, "c.key");
  EXPECT_EQ(back.certs->client_cert, "c.cer");
  EXPECT_EQ(back.certs->ca_cert, "ca.cer");
  EXPECT_TRUE(back.enabled);
  EXPECT_EQ(back.master, "10.0.0.1");
  EXPECT_EQ(back.last_command, "database cluster initialize");
  EXPECT_FALSE(back.last_ok);
  EXPECT_EQ(back.last_error, "boom");

  // No certs set: none written (absent means "not set", not five empty names).
  EXPECT_FALSE(json(DatabaseConfig{}).contains("certs"));
  EXPECT_FALSE(json(DatabaseConfig{}).get<DatabaseConfig>().certs);
}

TEST(DatabaseConfig, CertsObjectAsTheAgentWritesIt) {
  // set_certs writes `s["certs"] = names`: the keys the status and older files use.
  json j = CertNames{"s.key", "s.cer", "c.key", "c.cer", "ca.cer"};
  EXPECT_EQ(j, (json{{"server_key", "s.key"},
                     {"server_cert", "s.cer"},
                     {"client_key", "c.key"},
                     {"client_cert", "c.cer"},
                     {"ca_cert", "ca.cer"}}));
}

}  // namespace
}  // namespace convene::dbcluster
