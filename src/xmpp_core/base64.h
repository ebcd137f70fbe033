#pragma once
// Base64 (RFC 4648 §4, with padding) as SASL uses it (RFC 6120 §6.4.2).
// Decoding is strict: no whitespace, no missing padding, no bytes after padding —
// a lenient decoder would let two different strings mean the same proof.
#include <string>
#include <string_view>

#include "util/result.h"

namespace convene::xmpp {

std::string base64_encode(std::string_view bytes);
Result<std::string> base64_decode(std::string_view text);

}  // namespace convene::xmpp
