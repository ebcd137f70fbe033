#include "util/endpoint.h"

#include <charconv>

namespace convene {

namespace {

Error bad(std::string what) { return make_error(ErrorCode::invalid_argument, std::move(what)); }

// 1..65535, all of `text`.
bool parse_port(std::string_view text, std::uint16_t& port) {
  unsigned value = 0;
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || p != text.data() + text.size() || value == 0 || value > 65535) return false;
  port = static_cast<std::uint16_t>(value);
  return true;
}

}  // namespace

Result<Endpoint> Endpoint::parse(std::string_view text, std::uint16_t default_port) {
  Endpoint e;
  e.port = default_port;
  std::string_view port_text;
  bool has_port = false;
  if (!text.empty() && text.front() == '[') {
    auto close = text.find(']');
    if (close == std::string_view::npos) return bad("missing ']'");
    e.host = std::string(text.substr(1, close - 1));
    if (close + 1 < text.size()) {
      if (text[close + 1] != ':') return bad("expected ':' after ']'");
      port_text = text.substr(close + 2);
      has_port = true;
    }
  } else if (auto colon = text.find(':'); colon != std::string_view::npos) {
    if (text.find(':', colon + 1) != std::string_view::npos) return bad("write IPv6 addresses as [address]:port");
    e.host = std::string(text.substr(0, colon));
    port_text = text.substr(colon + 1);
    has_port = true;
  } else {
    e.host = std::string(text);
  }
  if (e.host.empty()) return bad("no host");
  if (has_port && port_text.empty()) return bad("no port after ':'");
  if (has_port && !parse_port(port_text, e.port)) return bad("the port must be a number from 1 to 65535");
  return e;
}

Result<Endpoint> Endpoint::split(std::string_view address) {
  auto colon = address.rfind(':');
  if (colon == std::string_view::npos || colon == 0 || colon + 1 == address.size())
    return bad("address '" + std::string(address) + "' is not host:port");
  Endpoint e;
  e.host = std::string(address.substr(0, colon));
  if (e.host.size() > 2 && e.host.front() == '[' && e.host.back() == ']') e.host = e.host.substr(1, e.host.size() - 2);
  if (!parse_port(address.substr(colon + 1), e.port))
    return bad("address '" + std::string(address) + "' has no valid port");
  return e;
}

std::string Endpoint::to_string() const {
  bool v6 = host.find(':') != std::string::npos;
  return (v6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

std::string host_of(std::string_view address) {
  auto colon = address.rfind(':');
  return std::string(colon == std::string_view::npos ? address : address.substr(0, colon));
}

}  // namespace convene
