#pragma once
// Typed views of the sections of the node's configuration (config.json, see
// node/config_store.h): one struct per section, its defaults written once, here.
// A key the operator never set reads as its default; a section that is absent
// (or not an object) reads as all defaults. A key holding the wrong JSON type
// throws nlohmann::json::type_error, as reading it by hand did.
//
// from_json/to_json are found by nlohmann's ADL (`section.get<XmppConfig>()`,
// `json j = config;`). to_json writes every field; the `xmpp ...` and
// `callbridge ...` commands still change single keys through ConfigStore::update,
// so config.json keeps holding only what the operator set.
//
// The keys, and the commands that set them, are listed in xmpp_settings.h
// (section "xmpp"), xmpp_cluster.h ("xmpp"/"cluster") and callbridge_settings.h
// ("callbridge").
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace convene {

class ConfigStore;

inline constexpr unsigned kXmppClusterPort = 5224;

// The "cluster" object of the "xmpp" section.
struct XmppClusterConfig {
  bool enabled = false;        // `xmpp cluster enable|disable`
  bool member = false;         // in a cluster: reopened at daemon start
  std::string trust;           // file-area name of the bundle peers must chain to
  unsigned port = kXmppClusterPort;  // the cluster (raft) port, on the first listen address
};

// The "xmpp" section.
struct XmppConfig {
  std::string domain;
  std::vector<std::string> listen;  // interface names
  std::string key, cert, bundle;    // file-area names; bundle optional
  bool enabled = false;
  bool plaintext = false;
  bool registration = false;
  nlohmann::json limits = nlohmann::json::object();  // {"max-stanza-bytes": N, ...}: see xmpp_limit_specs()
  unsigned client_port = 5222;      // "client-port"
  unsigned component_port = 5223;   // "component-port"
  XmppClusterConfig cluster;
};

// The "callbridge" section.
struct CallbridgeConfig {
  std::string name;                  // without the domain
  std::string domain;
  std::optional<std::string> server;  // fixed XMPP server "ip:port"; absent: DNS SRV
  std::optional<std::string> dns;     // DNS server "ip:port"; absent: the system's resolver
  std::optional<std::string> trust;   // file-area bundle: TLS to the XMPP servers; absent: plain TCP
  bool enabled = false;
};

void from_json(const nlohmann::json& j, XmppClusterConfig& c);
void to_json(nlohmann::json& j, const XmppClusterConfig& c);
void from_json(const nlohmann::json& j, XmppConfig& c);
void to_json(nlohmann::json& j, const XmppConfig& c);
void from_json(const nlohmann::json& j, CallbridgeConfig& c);
void to_json(nlohmann::json& j, const CallbridgeConfig& c);

// The node's sections, read now (each call reads the current configuration).
XmppConfig xmpp_config(const ConfigStore& config);
CallbridgeConfig callbridge_config(const ConfigStore& config);

}  // namespace convene
