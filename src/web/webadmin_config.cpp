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
  if (auto it = s.find("websocket_origins"); it != s.end() && it->is_array())
    for (const auto& o : *it)
      if (o.is_string()) c.websocket_origins.push_back(o.get<std::string>());
  return c;
}

}  // namespace convene::web
