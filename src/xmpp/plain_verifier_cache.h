#pragma once
// Fast repeat checks of SASL PLAIN passwords.
//
// The store keeps only SCRAM keys, so checking a PLAIN password means deriving
// them again: a PBKDF2 of 4096+ iterations, about a millisecond of CPU per login.
// After one successful check this cache keeps, per user, HMAC-SHA-256 under a
// random key of this process over (salt, password), tied to the StoredKey it was
// checked against; the next login with the same password costs one HMAC. A changed
// password (new salt and StoredKey) misses and is checked the slow way again, and
// so does every wrong password: a refusal costs one PBKDF2 whether the user
// exists, logged in before or not (sasl.cpp checks unknown users against decoy
// keys), so its time tells nothing. Guessing is slowed by attempt_throttle.h.
//
// Security: the key never leaves memory and is made at start; what the cache holds
// lets nobody log in and, without the key, cannot be tested against guesses. With
// the key (a full memory dump), guesses cost one HMAC instead of a PBKDF2 — the
// price of PLAIN logins at full speed; an operator who prefers the slow check can
// keep PLAIN off (plaintext off: PLAIN only over TLS, where clients use SCRAM).
//
// Thread-safety: verify() may be called from any thread (one mutex).
#include <array>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "xmpp_core/scram.h"

namespace convene::xmpp {

class PlainVerifierCache {
 public:
  PlainVerifierCache();
  // True when `password` is the one `credentials` were made from.
  bool verify(const std::string& user, const ScramCredentials& credentials, std::string_view password);

 private:
  using Mac = std::array<unsigned char, 32>;
  Mac mac(const ScramCredentials& credentials, std::string_view password) const;

  struct Entry {
    std::string stored_key;
    Mac mac;
  };
  std::array<unsigned char, 32> key_{};
  std::mutex mu_;
  std::unordered_map<std::string, Entry> entries_;
};

}  // namespace convene::xmpp
