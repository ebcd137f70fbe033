#include "xmpp/plain_verifier_cache.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <stdexcept>

#include "util/random.h"

namespace convene::xmpp {

PlainVerifierCache::PlainVerifierCache() {
  convene::random_bytes(key_.data(), key_.size());
}

PlainVerifierCache::Mac PlainVerifierCache::mac(const ScramCredentials& c, std::string_view password) const {
  // Length-prefixed salt, then the password: no two (salt, password) pairs collide.
  std::string input;
  input.reserve(4 + c.salt.size() + password.size());
  auto n = static_cast<std::uint32_t>(c.salt.size());
  for (int shift = 24; shift >= 0; shift -= 8) input.push_back(static_cast<char>((n >> shift) & 0xff));
  input.append(c.salt).append(password);
  Mac out{};
  unsigned len = 0;
  HMAC(EVP_sha256(), key_.data(), int(key_.size()), reinterpret_cast<const unsigned char*>(input.data()),
       input.size(), out.data(), &len);
  OPENSSL_cleanse(input.data(), input.size());
  return out;
}

bool PlainVerifierCache::verify(const std::string& user, const ScramCredentials& credentials,
                                std::string_view password) {
  Mac m = mac(credentials, password);
  {
    std::lock_guard lock(mu_);
    auto it = entries_.find(user);
    // Same StoredKey and MAC: the password the keys were made from.
    if (it != entries_.end() && it->second.stored_key == credentials.stored_key &&
        CRYPTO_memcmp(it->second.mac.data(), m.data(), m.size()) == 0)
      return true;
  }
  // Anything else costs the PBKDF2, a wrong password for a cached user included:
  // refusing that one faster would tell a guesser which accounts exist and log in.
  if (!verify_password(credentials, password)) return false;
  std::lock_guard lock(mu_);
  entries_[user] = Entry{credentials.stored_key, m};
  return true;
}

}  // namespace convene::xmpp
