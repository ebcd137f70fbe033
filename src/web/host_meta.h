#pragma once
// XEP-0156 discovery over HTTP: /.well-known/host-meta (XRD, RFC 6415) and
// /.well-known/host-meta.json (JRD), each listing the XMPP WebSocket endpoints
// (rel urn:xmpp:alt-connections:websocket) a browser client may try, in order.
// Pure rendering; web_routes.cpp decides which URLs (xmpp_websocket.h).
#include <optional>
#include <string>
#include <vector>

namespace convene::web {

std::string render_host_meta_xrd(const std::vector<std::string>& websocket_urls);
std::string render_host_meta_json(const std::vector<std::string>& websocket_urls);

// The Host header when it is a plain host[:port] (names, IPv4, [IPv6]); nullopt
// otherwise, so nothing a client sent is echoed into the documents unchecked.
std::optional<std::string> plain_host(const std::string& host_header);

}  // namespace convene::web
