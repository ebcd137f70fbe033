#pragma once
// XMPP over WebSocket (RFC 7395) on the web admin's HTTPS listener, path
// /xmpp-websocket: who may upgrade, and the session that joins an upgraded
// connection to a client stream of the node's XMPP service.
//
// The upgrade is refused (no 101, nothing else changes) when:
//   - XMPP over WebSocket is off (`webadmin websocket off`)           404
//   - Sec-WebSocket-Version is not 13                                 426
//   - Sec-WebSocket-Protocol does not offer 'xmpp' (RFC 7395 §3.3)     400
//   - the request has an Origin that is not allowed                   403
//     (allowed: the listener's own origin, https:// plus the Host the browser
//     used, and `webadmin websocket origins add` ones; a request without
//     Origin comes from no browser page, and Origin protects only browsers)
//   - the XMPP service does not run on this node                      503
// An accepted connection is an ordinary client stream (xmpp/stream_transport.h):
// SASL (PLAIN too: the HTTPS layer is its TLS), bind, XEP-0198, the same limits.
// Frames (web/websocket_frames.h): one text message per element; a binary
// message ends the stream (<unsupported-stanza-type/>, close 1003); a message
// larger than the stanza limit is refused from its header (<policy-violation/>,
// close 1009); a WebSocket protocol error ends it with <bad-format/> (close 1002);
// malformed XML ends it with <not-well-formed/>. Each time the client gets the
// stream error, then <close/>, then the close frame; nothing else is touched.
#include <optional>
#include <string>
#include <vector>

#include "web/http_message.h"
#include "web/https_listener.h"

namespace convene {
class Daemon;
}

namespace convene::web {

inline constexpr const char* kXmppWebSocketPath = "/xmpp-websocket";

// The URL a client reaches this listener's endpoint with, from the Host it used.
std::string xmpp_websocket_url(const std::string& host);

// "https://meet.example.com:8443" in canonical form (lower case, no default
// port, no path), or nullopt when `origin` is not a web origin.
std::optional<std::string> canonical_origin(const std::string& origin);

// Whether a browser page of `origin` (canonical) may open the WebSocket.
bool origin_allowed(const std::string& origin, const std::string& host, const std::vector<std::string>& allowed);

WebSocketAnswer answer_xmpp_websocket(Daemon& daemon, const HttpRequest& request);

}  // namespace convene::web
