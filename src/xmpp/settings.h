#pragma once
// Node-local settings of the XMPP service (the `xmpp` section of config.json,
// read by admin/xmpp_settings): what the service is started with. A plain value,
// copied into the service at start and never changed while it runs.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace convene::xmpp {

struct Limits {
  size_t max_stanza_bytes = 256 * 1024;
  size_t max_depth = 64;
  unsigned auth_timeout_seconds = 30;      // from connect to authenticated
  unsigned idle_timeout_seconds = 600;     // no bytes at all for this long
  size_t read_rate_bytes_per_second = 1024 * 1024;  // per connection, averaged
  unsigned max_connections_per_address = 1000;
};

struct Settings {
  std::string domain;                       // "tptac9.com"
  std::vector<std::string> addresses;       // resolved from `xmpp listen a b`
  uint16_t client_port = 5222;
  uint16_t component_port = 5223;
  // Where the component port listens. Empty: the cluster interface (the first
  // listen address, where the other nodes' call bridges reach this one) and
  // loopback (127.0.0.1, unless the cluster interface is a loopback address
  // already), never the other client interfaces.
  std::vector<std::string> component_addresses;
  std::string key_file, cert_file, bundle_file;  // absolute paths; bundle may be empty
  bool allow_plaintext = false;             // unencrypted c2s, off by default
  bool allow_registration = false;          // XEP-0077 in-band registration
  unsigned threads = 0;                     // 0: one per core
  Limits limits;
};

}  // namespace convene::xmpp
