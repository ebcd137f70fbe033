#pragma once
// The typed view of the node configuration's "database" section (kConfigSection,
// config.json, see node/config_store.h), its defaults written once, here, as
// admin/config_sections.h does for the other sections (dbcluster sits below
// admin, so the struct lives here). A key never set reads as its default; a
// section that is absent (or not an object) reads as all defaults. A key holding
// the wrong JSON type throws nlohmann::json::type_error, as reading it by hand did.
//
// from_json/to_json are found by nlohmann's ADL (`section.get<DatabaseConfig>()`,
// `json j = config;`). to_json writes every field (`certs` only when set); the
// agent still changes single keys through AgentCore::update, so config.json keeps
// holding only what was set.
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "dbcluster/agent_types.h"

namespace convene {
class ConfigStore;
}

namespace convene::dbcluster {

// The "database" section. The commands that set its keys are in membership.h.
struct DatabaseConfig {
  std::string interface;           // `database cluster localnode <iface>`
  // `database cluster certs ...`: file-area names. Absent until set: initialize
  // and join refuse to run without them.
  std::optional<CertNames> certs;
  bool enabled = false;            // in a cluster (live state, kept by a backup rollback)
  std::string master;              // the cluster's master address (live state, likewise)
  std::string last_command;        // the status's "Last command" line
  bool last_ok = true;             // a node that ran no command shows no failure
  std::string last_error;
};

// The "certs" object of the section.
void from_json(const nlohmann::json& j, CertNames& c);
void to_json(nlohmann::json& j, const CertNames& c);
void from_json(const nlohmann::json& j, DatabaseConfig& c);
void to_json(nlohmann::json& j, const DatabaseConfig& c);

// The node's section, read now (each call reads the current configuration).
DatabaseConfig database_config(const ConfigStore& config);

}  // namespace convene::dbcluster
