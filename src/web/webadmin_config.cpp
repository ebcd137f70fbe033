#include "web/webadmin_config.h"

namespace convene::web {

WebadminConfig webadmin_config(const ConfigStore& config) {
  const nlohmann::json section = config.section("webadmin");  // a copy: object_or_empty returns a reference into it
  const auto& s = object_or_empty(section);
  WebadminConfig c;
  c.iface = s.value("iface", "");
  c.port = static_cast<uint16_t>(s.value("port", 443));
  c.key = s.value("key", "");
  c.cert = s.value("cert", "");
  c.bundle = s.value("bundle", "");
  c.enabled = s.value("enabled", false);
  c.websocket = s.value("websocket", true);
  for (auto [key, list] : {std::pair{"websocket_origins", &c.websocket_origins}, {"websocket_peers", &c.websocket_peers}})
    if (auto it = s.find(key); it != s.end() && it->is_array())
      for (const auto& o : *it)
        if (o.is_string()) list->push_back(o.get<std::string>());
  return c;
}

}  // namespace convene::web
