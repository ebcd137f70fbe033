#include "dbcluster/database_config.h"

#include "node/config_store.h"

namespace convene::dbcluster {

using nlohmann::json;

// Not object_or_empty: a "certs" key that is not an object throws, as reading it
// by hand did.
void from_json(const json& j, CertNames& c) {
  c.server_key = j.value("server_key", "");
  c.server_cert = j.value("server_cert", "");
  c.client_key = j.value("client_key", "");
  c.client_cert = j.value("client_cert", "");
  c.ca_cert = j.value("ca_cert", "");
}

void to_json(json& j, const CertNames& c) {
  j = json{{"server_key", c.server_key},
           {"server_cert", c.server_cert},
           {"client_key", c.client_key},
           {"client_cert", c.client_cert},
           {"ca_cert", c.ca_cert}};
}

void from_json(const json& j, DatabaseConfig& c) {
  const json& s = object_or_empty(j);
  DatabaseConfig d;
  c.interface = s.value("interface", d.interface);
  auto certs = s.find("certs");
  c.certs = certs != s.end() ? std::optional<CertNames>(certs->get<CertNames>()) : std::nullopt;
  c.enabled = s.value("enabled", d.enabled);
  c.master = s.value("master", d.master);
  c.last_command = s.value("last_command", d.last_command);
  c.last_ok = s.value("last_ok", d.last_ok);
  c.last_error = s.value("last_error", d.last_error);
}

void to_json(json& j, const DatabaseConfig& c) {
  j = json{{"interface", c.interface},
           {"enabled", c.enabled},
           {"master", c.master},
           {"last_command", c.last_command},
           {"last_ok", c.last_ok},
           {"last_error", c.last_error}};
  if (c.certs) j["certs"] = *c.certs;
}

DatabaseConfig database_config(const ConfigStore& config) {
  return config.section(kConfigSection).get<DatabaseConfig>();
}

}  // namespace convene::dbcluster
