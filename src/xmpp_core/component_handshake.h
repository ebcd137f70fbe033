#pragma once
// The XEP-0114 §3 handshake proof: the component sends
// <handshake>hex(SHA-1(stream id + secret))</handshake>. The server checks it
// (xmpp/component.cpp) and the call bridge computes it (callbridge/component_client.cpp);
// both use this one function so they cannot disagree on case or byte order.
#include <string>
#include <string_view>

namespace convene::xmpp {

// Lower-case hex SHA-1 of stream id + secret.
std::string component_handshake_digest(std::string_view stream_id, std::string_view secret);

}  // namespace convene::xmpp
