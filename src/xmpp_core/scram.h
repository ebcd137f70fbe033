#pragma once
// SASL for XMPP (RFC 6120 §6): SCRAM-SHA-1 / SCRAM-SHA-256 (RFC 5802, RFC 7677),
// server and client side, and SASL PLAIN (RFC 4616) decoding.
//
// The server never stores or sees a password for SCRAM: it keeps ScramCredentials
// (salt, iterations, StoredKey, ServerKey), derived once when the password is set.
// PLAIN (only over TLS) is checked against the same credentials.
//
// Messages here are the decoded SASL payloads; the XMPP layer base64-encodes and
// -decodes the element text (xmpp_core/base64.h).
//
// Scope and limits: no channel binding (the -PLUS variants are not offered, so a
// client's 'y' flag is accepted and 'p=' refused). Passwords go through SASLprep
// (stringprep.h) before Hi(), as RFC 5802 §2.2 says; user names are prepared JID
// localparts (nodeprep, jid.h) by the caller.
//
// ScramServer and ScramClient are per-authentication state machines, owned by one
// session on its strand. Free functions are thread-safe.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "util/result.h"

namespace convene::xmpp {

// ---- failures as XMPP sees them (RFC 6120 §6.5) ---------------------------------

enum class SaslCondition {
  aborted,
  account_disabled,
  credentials_expired,
  encryption_required,
  incorrect_encoding,
  invalid_authzid,
  invalid_mechanism,
  malformed_request,
  mechanism_too_weak,
  not_authorized,
  temporary_auth_failure,
};
std::string_view condition_name(SaslCondition condition);  // "not-authorized"

struct SaslFailure {
  SaslCondition condition;
  std::string text;  // for the log; do not tell the peer more than the condition
};

template <class T>
class [[nodiscard]] SaslResult {
 public:
  SaslResult(T value) : v_(std::move(value)) {}
  SaslResult(SaslFailure failure) : v_(std::move(failure)) {}
  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }
  T& value() { return std::get<0>(v_); }
  const T& value() const { return std::get<0>(v_); }
  T& operator*() { return value(); }
  T* operator->() { return &value(); }
  const SaslFailure& failure() const { return std::get<1>(v_); }

 private:
  std::variant<T, SaslFailure> v_;
};

// ---- credentials -------------------------------------------------------------

enum class ScramHash { sha1, sha256 };
std::string_view mechanism_name(ScramHash hash);  // "SCRAM-SHA-1", "SCRAM-SHA-256"
std::optional<ScramHash> scram_hash_for(std::string_view mechanism);

inline constexpr uint32_t kDefaultScramIterations = 4096;  // RFC 7677 §4 minimum

struct ScramCredentials {
  ScramHash hash = ScramHash::sha256;
  std::string salt;  // raw bytes
  uint32_t iterations = kDefaultScramIterations;
  std::string stored_key;  // raw H(ClientKey)
  std::string server_key;  // raw HMAC(SaltedPassword, "Server Key")
};

Result<ScramCredentials> derive_credentials(ScramHash hash, std::string_view password,
                                            std::string_view salt, uint32_t iterations);
// With a fresh random 16-byte salt.
Result<ScramCredentials> make_credentials(ScramHash hash, std::string_view password,
                                          uint32_t iterations = kDefaultScramIterations);
// Storage form, PostgreSQL's layout:
// "SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>" (base64 fields).
std::string encode_credentials(const ScramCredentials& credentials);
Result<ScramCredentials> decode_credentials(std::string_view text);
// For PLAIN: derive with the stored salt and compare in constant time.
bool verify_password(const ScramCredentials& credentials, std::string_view password);
// For an unknown user: credentials that look like a real account's (a salt that
// stays the same for the same name, the default iteration count) and match no
// password, so a PLAIN check of an unknown user runs the same PBKDF2 as a known one.
ScramCredentials decoy_credentials(ScramHash hash, std::string_view user);
// How many PBKDF2 derivations this process has run (tests check that a refusal
// costs the same whether or not the account exists).
std::uint64_t pbkdf2_runs();

// ---- server side -------------------------------------------------------------

class ScramServer {
 public:
  // `server_nonce` only for test vectors; normally random.
  explicit ScramServer(ScramHash hash, std::string server_nonce = {});

  struct ClientFirst {
    std::string username;  // unescaped (=2C, =3D); the caller prepares/looks it up
    std::string authzid;   // empty when absent
  };
  // Step 1: the initial response of <auth mechanism='SCRAM-...'>.
  SaslResult<ClientFirst> receive_client_first(std::string_view message);
  // Step 2: the challenge. nullptr for an unknown user: a plausible decoy challenge
  // is sent and step 3 fails, so the exchange does not reveal which users exist.
  std::string server_first(const ScramCredentials* credentials);
  // Step 3: verify the proof; on success returns server-final ("v=...") for
  // <success/>. Any failure is not-authorized or malformed-request.
  SaslResult<std::string> receive_client_final(std::string_view message);

 private:
  enum class Step { client_first, server_first, client_final, done };
  ScramHash hash_;
  Step step_ = Step::client_first;
  std::string server_nonce_;
  std::string gs2_header_, client_first_bare_, server_first_, nonce_;
  std::string username_;
  std::optional<ScramCredentials> credentials_;
};

// ---- client side (also used by convene-bench) --------------------------------

// What a server-first-message asks: its nonce (the client's and the server's),
// the salt (decoded) and the iteration count. Errors name what is malformed; an
// iteration count over ScramClient::kMaxIterations is refused.
struct ScramChallenge {
  std::string_view nonce;  // points into the message
  std::string salt;
  uint32_t iterations = 0;
};
Result<ScramChallenge> parse_server_first(std::string_view message);

class ScramClient {
 public:
  // `nonce` only for test vectors; normally random.
  ScramClient(ScramHash hash, std::string username, std::string password,
              std::string authzid = {}, std::string nonce = {});

  std::string client_first();
  Result<std::string> receive_server_first(std::string_view message);  // → client-final
  Status receive_server_final(std::string_view message);              // checks ServerSignature

  // PBKDF2 dominates a login's cost. A load generator logging the same user in
  // repeatedly hands the last result back in; it is used when salt and iteration
  // count match the server's challenge.
  struct SaltedPassword {
    std::string salt;
    uint32_t iterations = 0;
    std::string salted;
  };
  void use_cached(SaltedPassword cached) { cache_ = std::move(cached); }
  const SaltedPassword& salted_password() const { return cache_; }

  // Refuse challenges demanding more work than this (a hostile server could
  // otherwise stall the client).
  static constexpr uint32_t kMaxIterations = 10'000'000;

 private:
  ScramHash hash_;
  std::string username_, password_, authzid_, nonce_;
  std::string gs2_header_, client_first_bare_;
  std::string expected_server_signature_;
  SaltedPassword cache_;
  bool sent_first_ = false, sent_final_ = false;
};

// ---- PLAIN ---------------------------------------------------------------------

struct PlainCredentials {
  std::string authzid;  // may be empty
  std::string authcid;
  std::string password;
};
// `message`: the decoded bytes "authzid\0authcid\0password".
SaslResult<PlainCredentials> decode_plain(std::string_view message);

}  // namespace convene::xmpp
