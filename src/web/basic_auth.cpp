#include "web/basic_auth.h"

#include <strings.h>

#include "xmpp_core/base64.h"

namespace convene::web {

std::optional<BasicCredentials> parse_basic_authorization(const std::string& header) {
  if (header.size() < 6 || strncasecmp(header.c_str(), "Basic ", 6) != 0) return std::nullopt;
  std::string encoded = header.substr(6);
  while (!encoded.empty() && encoded.front() == ' ') encoded.erase(0, 1);
  while (!encoded.empty() && encoded.back() == ' ') encoded.pop_back();
  auto decoded = xmpp::base64_decode(encoded);
  if (!decoded) return std::nullopt;
  auto colon = decoded->find(':');
  if (colon == std::string::npos) return std::nullopt;
  for (unsigned char c : *decoded)
    if (c < 0x20 || c == 0x7f) return std::nullopt;
  return BasicCredentials{decoded->substr(0, colon), decoded->substr(colon + 1)};
}

}  // namespace convene::web
