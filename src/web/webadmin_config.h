#pragma once
// The "webadmin" section of the node's configuration, as `webadmin ...` sets it
// (CMS's names):
//   iface    "a"          the interface (`iface`) the HTTPS listener binds
//   port     445          its TCP port
//   key      "web.key"    file-area names of the key, the certificate and the
//   cert     "web.crt"    optional bundle of chain certificates sent after it
//   bundle   "ca.crt"
//   enabled  true|false   serve (also when the daemon starts)
//   websocket true|false  XMPP over WebSocket on /xmpp-websocket (default true:
//                         it needs an XMPP account and the XMPP service anyway)
//   websocket_origins ["https://meet.example.com", ...]  browser origins allowed
//                         besides the listener's own (xmpp_websocket.h)
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "node/config_store.h"

namespace convene::web {

struct WebadminConfig {
  std::string iface;
  uint16_t port = 443;
  std::string key;
  std::string cert;
  std::string bundle;
  bool enabled = false;
  bool websocket = true;
  std::vector<std::string> websocket_origins;
};

WebadminConfig webadmin_config(const ConfigStore& config);

}  // namespace convene::web
