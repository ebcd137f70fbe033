#include "admin/config_sections.h"

#include "node/config_store.h"

namespace convene {

using nlohmann::json;

void from_json(const json& j, XmppClusterConfig& c) {
  const json& s = object_or_empty(j);
  XmppClusterConfig d;
  c.enabled = s.value("enabled", d.enabled);
  c.member = s.value("member", d.member);
  c.trust = s.value("trust", d.trust);
  c.port = s.value("port", d.port);
}

void to_json(json& j, const XmppClusterConfig& c) {
  j = json{{"enabled", c.enabled}, {"member", c.member}, {"trust", c.trust}, {"port", c.port}};
}

void from_json(const json& j, XmppConfig& c) {
  const json& s = object_or_empty(j);
  XmppConfig d;
  c.domain = s.value("domain", d.domain);
  c.listen.clear();
  for (auto& name : s.value("listen", json::array())) c.listen.push_back(name.get<std::string>());
  c.key = s.value("key", d.key);
  c.cert = s.value("cert", d.cert);
  c.bundle = s.value("bundle", d.bundle);
  c.enabled = s.value("enabled", d.enabled);
  c.plaintext = s.value("plaintext", d.plaintext);
  c.registration = s.value("registration", d.registration);
  c.limits = s.value("limits", d.limits);
  c.client_port = s.value("client-port", d.client_port);
  c.component_port = s.value("component-port", d.component_port);
  auto cluster = s.find("cluster");
  c.cluster = cluster != s.end() ? cluster->get<XmppClusterConfig>() : XmppClusterConfig{};
}

void to_json(json& j, const XmppConfig& c) {
  j = json{{"domain", c.domain},
           {"listen", c.listen},
           {"key", c.key},
           {"cert", c.cert},
           {"bundle", c.bundle},
           {"enabled", c.enabled},
           {"plaintext", c.plaintext},
           {"registration", c.registration},
           {"limits", c.limits},
           {"client-port", c.client_port},
           {"component-port", c.component_port},
           {"cluster", c.cluster}};
}

void from_json(const json& j, CallbridgeConfig& c) {
  const json& s = object_or_empty(j);
  c.name = s.value("name", "");
  c.domain = s.value("domain", "");
  c.server = s.contains("server") ? std::optional<std::string>(s.value("server", "")) : std::nullopt;
  c.dns = s.contains("dns") ? std::optional<std::string>(s.value("dns", "")) : std::nullopt;
  c.trust = s.contains("trust") ? std::optional<std::string>(s.value("trust", "")) : std::nullopt;
  c.enabled = s.value("enabled", false);
}

void to_json(json& j, const CallbridgeConfig& c) {
  j = json{{"name", c.name}, {"domain", c.domain}, {"enabled", c.enabled}};
  if (c.server) j["server"] = *c.server;
  if (c.dns) j["dns"] = *c.dns;
  if (c.trust) j["trust"] = *c.trust;
}

XmppConfig xmpp_config(const ConfigStore& config) { return config.section("xmpp").get<XmppConfig>(); }

CallbridgeConfig callbridge_config(const ConfigStore& config) {
  return config.section("callbridge").get<CallbridgeConfig>();
}

}  // namespace convene
