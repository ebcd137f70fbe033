#include "util/openssl_error.h"

#include <openssl/err.h>

namespace convene {

std::string take_openssl_error() {
  std::string text;
  unsigned long code;
  while ((code = ERR_get_error()) != 0) {
    char buf[256];
    ERR_error_string_n(code, buf, sizeof buf);
    // Keep only the reason part ("error:...:reason"), which is what an operator can use.
    std::string line = buf;
    if (auto pos = line.rfind(':'); pos != std::string::npos) line = line.substr(pos + 1);
    if (!text.empty()) text += "; ";
    text += line;
  }
  return text.empty() ? "no detail from OpenSSL" : text;
}

}  // namespace convene
