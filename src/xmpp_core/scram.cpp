#include "xmpp_core/scram.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <atomic>
#include <charconv>
#include <stdexcept>
#include <vector>

#include "util/random.h"
#include "xmpp_core/base64.h"
#include "xmpp_core/stringprep.h"

namespace convene::xmpp {

std::string_view condition_name(SaslCondition c) {
  switch (c) {
    case SaslCondition::aborted: return "aborted";
    case SaslCondition::account_disabled: return "account-disabled";
    case SaslCondition::credentials_expired: return "credentials-expired";
    case SaslCondition::encryption_required: return "encryption-required";
    case SaslCondition::incorrect_encoding: return "incorrect-encoding";
    case SaslCondition::invalid_authzid: return "invalid-authzid";
    case SaslCondition::invalid_mechanism: return "invalid-mechanism";
    case SaslCondition::malformed_request: return "malformed-request";
    case SaslCondition::mechanism_too_weak: return "mechanism-too-weak";
    case SaslCondition::not_authorized: return "not-authorized";
    case SaslCondition::temporary_auth_failure: return "temporary-auth-failure";
  }
  return "not-authorized";
}

namespace {

// ---- crypto primitives ---------------------------------------------------------

const EVP_MD* md(ScramHash h) { return h == ScramHash::sha1 ? EVP_sha1() : EVP_sha256(); }
size_t hash_size(ScramHash h) { return h == ScramHash::sha1 ? 20 : 32; }

std::string digest(ScramHash h, std::string_view data) {
  std::string out(hash_size(h), '\0');
  unsigned int len = 0;
  if (!EVP_Digest(data.data(), data.size(), reinterpret_cast<unsigned char*>(out.data()), &len,
                  md(h), nullptr)) {
    throw std::runtime_error("EVP_Digest failed");  // only on a broken OpenSSL
  }
  return out;
}

std::string hmac(ScramHash h, std::string_view key, std::string_view data) {
  std::string out(hash_size(h), '\0');
  unsigned int len = 0;
  if (!HMAC(md(h), key.data(), int(key.size()), reinterpret_cast<const unsigned char*>(data.data()),
            data.size(), reinterpret_cast<unsigned char*>(out.data()), &len)) {
    throw std::runtime_error("HMAC failed");
  }
  return out;
}

std::atomic<std::uint64_t> pbkdf2_count{0};

// Hi(Normalize(password), salt, i) of RFC 5802 §2.2; Normalize is SASLprep.
Result<std::string> salted_password(ScramHash h, std::string_view raw_password,
                                    std::string_view salt, uint32_t iterations) {
  std::string out(hash_size(h), '\0');
  if (iterations == 0 || iterations > 0x7fffffff) return make_error("invalid iteration count");
  auto prepared = saslprep(raw_password);
  if (!prepared) return prepared.error();
  const std::string& password = *prepared;
  pbkdf2_count.fetch_add(1, std::memory_order_relaxed);
  if (!PKCS5_PBKDF2_HMAC(password.data(), int(password.size()),
                         reinterpret_cast<const unsigned char*>(salt.data()), int(salt.size()),
                         int(iterations), md(h), int(out.size()),
                         reinterpret_cast<unsigned char*>(out.data()))) {
    return make_error("PBKDF2 failed");
  }
  return out;
}

std::string random_bytes(size_t n) {
  return convene::random_bytes(n);
}

// Printable, comma-free, per RFC 5802 nonce syntax.
std::string random_nonce() { return base64_encode(random_bytes(18)); }

bool equal_ct(std::string_view a, std::string_view b) {
  return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

std::string xor_bytes(std::string_view a, std::string_view b) {
  std::string out(a);
  for (size_t i = 0; i < out.size(); ++i) out[i] = char(out[i] ^ b[i]);
  return out;
}

// ---- message syntax ----------------------------------------------------------

// saslname: ',' and '=' travel as =2C and =3D; any other '=' is an error.
std::optional<std::string> decode_saslname(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '=') {
      out += s[i];
    } else if (s.substr(i, 3) == "=2C") {
      out += ',', i += 2;
    } else if (s.substr(i, 3) == "=3D") {
      out += '=', i += 2;
    } else {
      return std::nullopt;
    }
  }
  return out;
}

std::string encode_saslname(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (c == ',') out += "=2C";
    else if (c == '=') out += "=3D";
    else out += c;
  }
  return out;
}

// "a=x,b=y" → fields; each must be "<letter>=<value>".
struct Field {
  char key;
  std::string_view value;
};
std::optional<std::vector<Field>> fields(std::string_view s) {
  std::vector<Field> out;
  size_t start = 0;
  for (;;) {
    size_t comma = s.find(',', start);
    std::string_view f = s.substr(start, comma - start);
    if (f.size() < 2 || f[1] != '=') return std::nullopt;
    out.push_back({f[0], f.substr(2)});
    if (comma == std::string_view::npos) return out;
    start = comma + 1;
  }
}

bool valid_nonce(std::string_view n) {
  if (n.empty()) return false;
  for (char c : n) {
    if (c < 0x21 || c > 0x7e || c == ',') return false;
  }
  return true;
}

SaslFailure malformed(std::string text) {
  return SaslFailure{SaslCondition::malformed_request, std::move(text)};
}
SaslFailure not_authorized(std::string text) {
  return SaslFailure{SaslCondition::not_authorized, std::move(text)};
}

// Per-process key for decoy salts: stable per user name within a run, so probing
// the same unknown name twice does not show a changing salt.
const std::string& decoy_key() {
  static const std::string key = random_bytes(32);
  return key;
}

}  // namespace

// ---- credentials -------------------------------------------------------------

std::string_view mechanism_name(ScramHash h) {
  return h == ScramHash::sha1 ? "SCRAM-SHA-1" : "SCRAM-SHA-256";
}

std::optional<ScramHash> scram_hash_for(std::string_view mechanism) {
  if (mechanism == "SCRAM-SHA-1") return ScramHash::sha1;
  if (mechanism == "SCRAM-SHA-256") return ScramHash::sha256;
  return std::nullopt;
}

Result<ScramCredentials> derive_credentials(ScramHash h, std::string_view password,
                                            std::string_view salt, uint32_t iterations) {
  auto salted = salted_password(h, password, salt, iterations);
  if (!salted) return salted.error();
  ScramCredentials c;
  c.hash = h;
  c.salt = std::string(salt);
  c.iterations = iterations;
  c.stored_key = digest(h, hmac(h, *salted, "Client Key"));
  c.server_key = hmac(h, *salted, "Server Key");
  return c;
}

Result<ScramCredentials> make_credentials(ScramHash h, std::string_view password,
                                          uint32_t iterations) {
  return derive_credentials(h, password, random_bytes(16), iterations);
}

std::string encode_credentials(const ScramCredentials& c) {
  return std::string(mechanism_name(c.hash)) + "$" + std::to_string(c.iterations) + ":" +
         base64_encode(c.salt) + "$" + base64_encode(c.stored_key) + ":" +
         base64_encode(c.server_key);
}

Result<ScramCredentials> decode_credentials(std::string_view text) {
  auto bad = [] { return make_error("stored SCRAM credentials are malformed"); };
  size_t d1 = text.find('$'), c1 = text.find(':', d1), d2 = text.find('$', c1);
  if (d1 == text.npos || c1 == text.npos || d2 == text.npos) return bad();
  size_t c2 = text.find(':', d2);
  if (c2 == text.npos) return bad();
  auto hash = scram_hash_for(text.substr(0, d1));
  if (!hash) return bad();
  ScramCredentials c;
  c.hash = *hash;
  std::string_view iter = text.substr(d1 + 1, c1 - d1 - 1);
  auto [p, ec] = std::from_chars(iter.data(), iter.data() + iter.size(), c.iterations);
  if (ec != std::errc() || p != iter.data() + iter.size() || c.iterations == 0) return bad();
  auto salt = base64_decode(text.substr(c1 + 1, d2 - c1 - 1));
  auto stored = base64_decode(text.substr(d2 + 1, c2 - d2 - 1));
  auto server = base64_decode(text.substr(c2 + 1));
  if (!salt || !stored || !server || salt->empty() || stored->size() != hash_size(c.hash) ||
      server->size() != hash_size(c.hash)) {
    return bad();
  }
  c.salt = std::move(*salt);
  c.stored_key = std::move(*stored);
  c.server_key = std::move(*server);
  return c;
}

ScramCredentials decoy_credentials(ScramHash h, std::string_view user) {
  ScramCredentials c;
  c.hash = h;
  c.salt = hmac(ScramHash::sha256, decoy_key(), "salt:" + std::string(user)).substr(0, 16);
  c.iterations = kDefaultScramIterations;
  // Keys no password derives (they are not an H() and an HMAC of one).
  c.stored_key = hmac(h, decoy_key(), "stored:" + std::string(user));
  c.server_key = hmac(h, decoy_key(), "server:" + std::string(user));
  return c;
}

std::uint64_t pbkdf2_runs() { return pbkdf2_count.load(std::memory_order_relaxed); }

bool verify_password(const ScramCredentials& c, std::string_view password) {
  auto derived = derive_credentials(c.hash, password, c.salt, c.iterations);
  return derived && equal_ct(derived->stored_key, c.stored_key);
}

// ---- server ----------------------------------------------------------------------

ScramServer::ScramServer(ScramHash hash, std::string server_nonce)
    : hash_(hash), server_nonce_(server_nonce.empty() ? random_nonce() : std::move(server_nonce)) {}

SaslResult<ScramServer::ClientFirst> ScramServer::receive_client_first(std::string_view m) {
  if (step_ != Step::client_first) return malformed("unexpected client-first-message");
  // gs2-header: cbind-flag "," [ "a=" saslname ] ","
  size_t c1 = m.find(',');
  size_t c2 = c1 == m.npos ? m.npos : m.find(',', c1 + 1);
  if (c2 == m.npos) return malformed("no GS2 header");
  std::string_view flag = m.substr(0, c1), authz = m.substr(c1 + 1, c2 - c1 - 1);
  if (flag.substr(0, 2) == "p=") {
    return not_authorized("channel binding requested but not offered");
  }
  // 'y': the client could bind but thinks we cannot — true, we offer no -PLUS.
  if (flag != "n" && flag != "y") return malformed("bad GS2 channel-binding flag");
  ClientFirst result;
  if (!authz.empty()) {
    auto name = authz.substr(0, 2) == "a=" ? decode_saslname(authz.substr(2)) : std::nullopt;
    if (!name || name->empty()) return malformed("bad authzid");
    result.authzid = std::move(*name);
  }
  gs2_header_ = std::string(m.substr(0, c2 + 1));
  client_first_bare_ = std::string(m.substr(c2 + 1));
  auto f = fields(client_first_bare_);
  if (!f || f->size() < 2) return malformed("bad client-first-message");
  if ((*f)[0].key == 'm') return malformed("mandatory extension not supported");
  if ((*f)[0].key != 'n' || (*f)[1].key != 'r') return malformed("expected n= and r=");
  auto name = decode_saslname((*f)[0].value);
  if (!name || name->empty()) return malformed("bad username encoding");
  if (!valid_nonce((*f)[1].value)) return malformed("bad client nonce");
  result.username = *name;
  username_ = std::move(*name);
  nonce_ = std::string((*f)[1].value) + server_nonce_;
  step_ = Step::server_first;
  return result;
}

std::string ScramServer::server_first(const ScramCredentials* credentials) {
  std::string salt;
  uint32_t iterations = kDefaultScramIterations;
  if (credentials && credentials->hash == hash_) {
    credentials_ = *credentials;
    salt = credentials->salt;
    iterations = credentials->iterations;
  } else {
    // Unknown user (or no credentials for this hash): a decoy whose salt looks
    // real and stays the same for the same name; step 3 will fail.
    credentials_ = std::nullopt;
    salt = decoy_credentials(hash_, username_).salt;
  }
  server_first_ =
      "r=" + nonce_ + ",s=" + base64_encode(salt) + ",i=" + std::to_string(iterations);
  step_ = Step::client_final;
  return server_first_;
}

SaslResult<std::string> ScramServer::receive_client_final(std::string_view m) {
  if (step_ != Step::client_final) return malformed("unexpected client-final-message");
  step_ = Step::done;
  size_t p = m.rfind(",p=");
  if (p == m.npos) return malformed("no proof");
  std::string_view without_proof = m.substr(0, p);
  auto f = fields(without_proof);
  if (!f || f->size() < 2 || (*f)[0].key != 'c' || (*f)[1].key != 'r') {
    return malformed("bad client-final-message");
  }
  auto cbind = base64_decode((*f)[0].value);
  if (!cbind || *cbind != gs2_header_) return not_authorized("channel binding data mismatch");
  if ((*f)[1].value != nonce_) return not_authorized("nonce mismatch");
  auto proof = base64_decode(m.substr(p + 3));
  if (!proof) return malformed("bad proof encoding");
  if (!credentials_) return not_authorized("unknown user '" + username_ + "'");
  if (proof->size() != hash_size(hash_)) return not_authorized("bad proof length");

  std::string auth_message =
      client_first_bare_ + "," + server_first_ + "," + std::string(without_proof);
  std::string client_signature = hmac(hash_, credentials_->stored_key, auth_message);
  std::string client_key = xor_bytes(*proof, client_signature);
  if (!equal_ct(digest(hash_, client_key), credentials_->stored_key)) {
    return not_authorized("wrong password for '" + username_ + "'");
  }
  return "v=" + base64_encode(hmac(hash_, credentials_->server_key, auth_message));
}

// ---- client ----------------------------------------------------------------------

ScramClient::ScramClient(ScramHash hash, std::string username, std::string password,
                         std::string authzid, std::string nonce)
    : hash_(hash),
      username_(std::move(username)),
      password_(std::move(password)),
      authzid_(std::move(authzid)),
      nonce_(nonce.empty() ? random_nonce() : std::move(nonce)) {}

std::string ScramClient::client_first() {
  gs2_header_ = authzid_.empty() ? "n,," : "n,a=" + encode_saslname(authzid_) + ",";
  client_first_bare_ = "n=" + encode_saslname(username_) + ",r=" + nonce_;
  sent_first_ = true;
  return gs2_header_ + client_first_bare_;
}

Result<ScramChallenge> parse_server_first(std::string_view m) {
  auto f = fields(m);
  if (!f || f->size() < 3 || (*f)[0].key != 'r' || (*f)[1].key != 's' || (*f)[2].key != 'i') {
    return make_error("SCRAM: malformed server-first-message");
  }
  ScramChallenge c;
  c.nonce = (*f)[0].value;
  auto salt = base64_decode((*f)[1].value);
  if (!salt || salt->empty()) return make_error("SCRAM: bad salt");
  c.salt = std::move(*salt);
  std::string_view iv = (*f)[2].value;
  auto [p, ec] = std::from_chars(iv.data(), iv.data() + iv.size(), c.iterations);
  if (ec != std::errc() || p != iv.data() + iv.size() || c.iterations == 0 ||
      c.iterations > ScramClient::kMaxIterations) {
    return make_error("SCRAM: unacceptable iteration count");
  }
  return c;
}

Result<std::string> ScramClient::receive_server_first(std::string_view m) {
  if (!sent_first_ || sent_final_) return make_error("SCRAM: unexpected server-first-message");
  auto challenge = parse_server_first(m);
  if (!challenge) return challenge.error();
  std::string_view nonce = challenge->nonce;
  if (nonce.size() <= nonce_.size() || nonce.substr(0, nonce_.size()) != nonce_ ||
      !valid_nonce(nonce)) {
    return make_error("SCRAM: server nonce does not extend ours");
  }
  const std::string& salt = challenge->salt;
  const uint32_t iterations = challenge->iterations;
  if (cache_.salted.empty() || cache_.salt != salt || cache_.iterations != iterations) {
    auto salted = convene::xmpp::salted_password(hash_, password_, salt, iterations);
    if (!salted) return salted.error();
    cache_ = SaltedPassword{salt, iterations, std::move(*salted)};
  }
  std::string without_proof =
      "c=" + base64_encode(gs2_header_) + ",r=" + std::string(nonce);
  std::string auth_message = client_first_bare_ + "," + std::string(m) + "," + without_proof;
  std::string client_key = hmac(hash_, cache_.salted, "Client Key");
  std::string stored_key = digest(hash_, client_key);
  std::string proof = xor_bytes(client_key, hmac(hash_, stored_key, auth_message));
  std::string server_key = hmac(hash_, cache_.salted, "Server Key");
  expected_server_signature_ = hmac(hash_, server_key, auth_message);
  sent_final_ = true;
  return without_proof + ",p=" + base64_encode(proof);
}

Status ScramClient::receive_server_final(std::string_view m) {
  if (!sent_final_) return make_error("SCRAM: unexpected server-final-message");
  if (m.substr(0, 2) == "e=") {
    return make_error("SCRAM: server reported " + std::string(m.substr(2)));
  }
  auto sig = m.substr(0, 2) == "v=" ? base64_decode(m.substr(2)) : Result<std::string>(
                                                                        make_error(""));
  if (!sig || !equal_ct(*sig, expected_server_signature_)) {
    return make_error("SCRAM: server signature does not verify",
                      "the server does not know this password: it may be an impostor");
  }
  return ok_status();
}

// ---- PLAIN ---------------------------------------------------------------------

SaslResult<PlainCredentials> decode_plain(std::string_view m) {
  size_t a = m.find('\0');
  size_t b = a == m.npos ? m.npos : m.find('\0', a + 1);
  if (b == m.npos || m.find('\0', b + 1) != m.npos) return malformed("PLAIN needs two NULs");
  PlainCredentials c{std::string(m.substr(0, a)), std::string(m.substr(a + 1, b - a - 1)),
                     std::string(m.substr(b + 1))};
  // RFC 4616 §2: authcid and passwd are 1..255 octets.
  if (c.authcid.empty() || c.password.empty() || c.authcid.size() > 255 ||
      c.password.size() > 255 || c.authzid.size() > 255) {
    return malformed("PLAIN field empty or too long");
  }
  return c;
}

}  // namespace convene::xmpp
