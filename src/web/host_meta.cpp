#include "web/host_meta.h"

#include <cctype>

#include <nlohmann/json.hpp>

namespace convene::web {

namespace {
constexpr const char* kWebSocketRel = "urn:xmpp:alt-connections:websocket";

std::string xml_attr(const std::string& s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '"': out += "&quot;"; break;
      default: out += c;
    }
  }
  return out;
}
}  // namespace

std::string render_host_meta_xrd(const std::vector<std::string>& urls) {
  std::string out = "<?xml version='1.0' encoding='utf-8'?>\n<XRD xmlns=\"http://docs.oasis-open.org/ns/xri/xrd-1.0\">\n";
  for (const auto& u : urls) out += "  <Link rel=\"" + std::string(kWebSocketRel) + "\" href=\"" + xml_attr(u) + "\"/>\n";
  out += "</XRD>\n";
  return out;
}

std::string render_host_meta_json(const std::vector<std::string>& urls) {
  nlohmann::json links = nlohmann::json::array();
  for (const auto& u : urls) links.push_back({{"rel", kWebSocketRel}, {"href", u}});
  return nlohmann::json{{"links", links}}.dump(2) + "\n";
}

std::optional<std::string> plain_host(const std::string& h) {
  if (h.empty() || h.size() > 255) return std::nullopt;
  for (char c : h)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '-' && c != ':' && c != '[' && c != ']')
      return std::nullopt;
  return h;
}

}  // namespace convene::web
