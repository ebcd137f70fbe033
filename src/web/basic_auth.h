#pragma once
// HTTP Basic credentials (RFC 7617) from an Authorization header value. Pure.
#include <optional>
#include <string>

namespace convene::web {

struct BasicCredentials {
  std::string user;
  std::string password;
};

// "Basic dXNlcjpwYXNz" -> {user, pass}; nothing for another scheme, bad base64,
// no colon, or control characters.
std::optional<BasicCredentials> parse_basic_authorization(const std::string& header);

}  // namespace convene::web
