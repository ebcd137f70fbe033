#include "xmpp_core/base64.h"

#include <openssl/evp.h>

namespace convene::xmpp {

std::string base64_encode(std::string_view bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3), '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(bytes.data()),
                          int(bytes.size()));
  out.resize(size_t(n));
  return out;
}

Result<std::string> base64_decode(std::string_view text) {
  if (text.size() % 4 != 0) return make_error("base64: length is not a multiple of 4");
  size_t pad = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    bool alpha = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                 c == '+' || c == '/';
    if (c == '=') {
      // Padding: at most two, only at the very end.
      if (text.size() - i > 2) return make_error("base64: misplaced padding");
      ++pad;
    } else if (!alpha || pad) {
      return make_error("base64: invalid character");
    }
  }
  std::string out(text.size() / 4 * 3, '\0');
  // EVP_DecodeBlock counts padding as zero bytes; trim them afterwards.
  int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(text.data()), int(text.size()));
  if (n < 0) return make_error("base64: invalid encoding");
  out.resize(size_t(n) - pad);
  // Canonical form only: the bits hidden under the padding must be zero.
  if (base64_encode(out) != text) return make_error("base64: non-canonical encoding");
  return out;
}

}  // namespace convene::xmpp
