#pragma once
// The XEP-0114 §3 handshake proof: the component sends
// <handshake>hex(SHA-1(stream id + secret))</handshake>. The server checks it
// (xmpp/component.cpp) and the call bridge computes it (callbridge/component_client.cpp);
// both use this one function so they cannot disagree on case or byte order.
#include <string>
#include <string_view>

#include "util/result.h"

namespace convene::xmpp {

// Lower-case hex SHA-1 of stream id + secret.
std::string component_handshake_digest(std::string_view stream_id, std::string_view secret);

// The handshake sends SHA-1(id + secret) in clear on a plain connection, so anyone
// who sees one can test guesses offline: a secret must be long and varied enough
// to resist that. The rule: at least 16 characters, at least 8 of them different
// (a generated secret has 20 of 62 symbols, about 119 bits). An error says which
// part failed and how to make a good one. Used by `xmpp callbridge add-secret`,
// `callbridge secret` and the server's handshake check.
inline constexpr size_t kMinComponentSecretLength = 16;
Status check_component_secret(std::string_view secret);

}  // namespace convene::xmpp
