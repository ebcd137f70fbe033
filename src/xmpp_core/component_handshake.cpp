#include "xmpp_core/component_handshake.h"

#include <openssl/evp.h>

#include <set>

namespace convene::xmpp {

std::string component_handshake_digest(std::string_view stream_id, std::string_view secret) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  EVP_DigestInit_ex(ctx, EVP_sha1(), nullptr);
  EVP_DigestUpdate(ctx, stream_id.data(), stream_id.size());
  EVP_DigestUpdate(ctx, secret.data(), secret.size());
  EVP_DigestFinal_ex(ctx, md, &len);
  EVP_MD_CTX_free(ctx);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(len * 2);
  for (unsigned i = 0; i < len; ++i) {
    out += kHex[md[i] >> 4];
    out += kHex[md[i] & 15];
  }
  return out;
}

}  // namespace convene::xmpp

namespace convene::xmpp {

Status check_component_secret(std::string_view secret) {
  static const char* kHint =
      "Use the secret 'xmpp callbridge add <name>' generated (see 'xmpp callbridge list' on that node),\n"
      "or one at least 16 characters long from a password generator.";
  if (secret.size() < kMinComponentSecretLength)
    return make_error("the call bridge secret is too short: it has " + std::to_string(secret.size()) +
                          " characters, at least " + std::to_string(kMinComponentSecretLength) + " are needed",
                      kHint);
  std::set<char> distinct(secret.begin(), secret.end());
  if (distinct.size() < 8)
    return make_error("the call bridge secret repeats too few characters: it has " + std::to_string(distinct.size()) +
                          " different ones, at least 8 are needed",
                      kHint);
  return ok_status();
}

}  // namespace convene::xmpp
