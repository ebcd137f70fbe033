#include "tls/tls13_records.h"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/kdf.h>
#include <openssl/tls1.h>

#include <algorithm>
#include <cstring>

namespace convene::tls {

namespace {

// Fetched once: an implicit fetch per context would take OpenSSL's locks every
// time.
const EVP_CIPHER* fetched(const char* name) {
  static EVP_CIPHER* aes128 = EVP_CIPHER_fetch(nullptr, "AES-128-GCM", nullptr);
  static EVP_CIPHER* aes256 = EVP_CIPHER_fetch(nullptr, "AES-256-GCM", nullptr);
  static EVP_CIPHER* chacha = EVP_CIPHER_fetch(nullptr, "ChaCha20-Poly1305", nullptr);
  if (std::strcmp(name, "AES-128-GCM") == 0) return aes128;
  if (std::strcmp(name, "AES-256-GCM") == 0) return aes256;
  return chacha;
}

// HKDF-Expand-Label(secret, label, "", length) (RFC 8446 §7.1).
bool expand_label(const char* digest, std::string_view secret, std::string_view label, unsigned char* out,
                  size_t length) {
  static EVP_KDF* hkdf = EVP_KDF_fetch(nullptr, "HKDF", nullptr);
  if (!hkdf) return false;
  std::string info;
  info += char(length >> 8);
  info += char(length & 0xff);
  info += char(6 + label.size());
  info += "tls13 ";
  info += label;
  info += char(0);  // empty context
  EVP_KDF_CTX* ctx = EVP_KDF_CTX_new(hkdf);
  if (!ctx) return false;
  int mode = EVP_KDF_HKDF_MODE_EXPAND_ONLY;
  OSSL_PARAM params[] = {
      OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, const_cast<char*>(digest), 0),
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, const_cast<char*>(secret.data()), secret.size()),
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, info.data(), info.size()),
      OSSL_PARAM_construct_int(OSSL_KDF_PARAM_MODE, &mode),
      OSSL_PARAM_construct_end(),
  };
  bool ok = EVP_KDF_derive(ctx, out, length, params) == 1;
  EVP_KDF_CTX_free(ctx);
  return ok;
}

}  // namespace

std::unique_ptr<Tls13Records> Tls13Records::take_over(const SSL* ssl, std::string_view read_secret,
                                                      std::string_view write_secret) {
  const SSL_CIPHER* cipher = SSL_get_current_cipher(ssl);
  if (SSL_version(ssl) != TLS1_3_VERSION || !cipher || SSL_has_pending(ssl)) return nullptr;
  std::unique_ptr<Tls13Records> r;
  switch (SSL_CIPHER_get_id(cipher)) {
    case TLS1_3_CK_AES_128_GCM_SHA256: r.reset(new Tls13Records(fetched("AES-128-GCM"), "SHA256", 16, 32)); break;
    case TLS1_3_CK_AES_256_GCM_SHA384: r.reset(new Tls13Records(fetched("AES-256-GCM"), "SHA384", 32, 48)); break;
    case TLS1_3_CK_CHACHA20_POLY1305_SHA256:
      r.reset(new Tls13Records(fetched("ChaCha20-Poly1305"), "SHA256", 32, 32));
      break;
    default: return nullptr;
  }
  if (!r->cipher_ || read_secret.size() != r->hash_len_ || write_secret.size() != r->hash_len_) return nullptr;
  if (!r->set_secret(r->read_, std::string(read_secret)) || !r->set_secret(r->write_, std::string(write_secret)))
    return nullptr;
  return r;
}

Tls13Records::~Tls13Records() {
  release_contexts();
  for (Direction* d : {&read_, &write_}) {
    OPENSSL_cleanse(d->secret.data(), d->secret.size());
    OPENSSL_cleanse(d->key, sizeof d->key);
    OPENSSL_cleanse(d->iv, sizeof d->iv);
  }
}

bool Tls13Records::set_secret(Direction& d, std::string secret) {
  OPENSSL_cleanse(d.secret.data(), d.secret.size());
  d.secret = std::move(secret);
  d.seq = 0;
  EVP_CIPHER_CTX_free(d.ctx);
  d.ctx = nullptr;
  return expand_label(digest_, d.secret, "key", d.key, key_len_) &&
         expand_label(digest_, d.secret, "iv", d.iv, sizeof d.iv);
}

bool Tls13Records::update(Direction& d) {
  std::string next(hash_len_, '\0');
  if (!expand_label(digest_, d.secret, "traffic upd", reinterpret_cast<unsigned char*>(next.data()), hash_len_))
    return fail("cannot derive the next traffic secret");
  return set_secret(d, std::move(next)) || fail("cannot derive the next traffic keys");
}

bool Tls13Records::update_read_key() { return update(read_); }
bool Tls13Records::update_write_key() { return update(write_); }

void Tls13Records::release_contexts() {
  EVP_CIPHER_CTX_free(read_.ctx);
  EVP_CIPHER_CTX_free(write_.ctx);
  read_.ctx = write_.ctx = nullptr;
}

bool Tls13Records::ready(Direction& d, bool encrypt) {
  if (d.ctx) return true;
  d.ctx = EVP_CIPHER_CTX_new();
  if (d.ctx && EVP_CipherInit_ex(d.ctx, cipher_, nullptr, d.key, nullptr, encrypt ? 1 : 0) == 1) return true;
  EVP_CIPHER_CTX_free(d.ctx);
  d.ctx = nullptr;
  return fail("cannot set up the record cipher");
}

// The per-record nonce: the IV with the sequence number xored into its last 8
// bytes (§5.3).
void Tls13Records::nonce(const Direction& d, unsigned char out[12]) const {
  std::memcpy(out, d.iv, 12);
  for (int i = 0; i < 8; ++i) out[11 - i] ^= static_cast<unsigned char>(d.seq >> (8 * i));
}

bool Tls13Records::fail(std::string why, uint8_t alert) {
  error_ = std::move(why);
  alert_ = alert;
  return false;
}

bool Tls13Records::seal(uint8_t type, const char* data, size_t size, std::string& out) {
  if (!ready(write_, true)) return false;
  do {
    if (write_.seq >= records_per_key_) return fail("the write key is used up (no KeyUpdate in time)");
    size_t chunk = std::min(size, kMaxPlaintext);
    size_t length = chunk + 1 + kTag;  // content, its type, the tag
    size_t at = out.size();
    out.resize(at + kHeader + length);
    auto* p = reinterpret_cast<unsigned char*>(out.data() + at);
    p[0] = kApplicationData;  // every protected record says so outside (§5.2)
    p[1] = 0x03;
    p[2] = 0x03;
    p[3] = static_cast<unsigned char>(length >> 8);
    p[4] = static_cast<unsigned char>(length);
    unsigned char iv[12];
    nonce(write_, iv);
    int n = 0;
    unsigned char* c = p + kHeader;
    bool ok = EVP_EncryptInit_ex(write_.ctx, nullptr, nullptr, nullptr, iv) == 1 &&
              EVP_EncryptUpdate(write_.ctx, nullptr, &n, p, int(kHeader)) == 1 &&
              EVP_EncryptUpdate(write_.ctx, c, &n, reinterpret_cast<const unsigned char*>(data), int(chunk)) == 1 &&
              EVP_EncryptUpdate(write_.ctx, c + chunk, &n, &type, 1) == 1 &&
              EVP_EncryptFinal_ex(write_.ctx, c + chunk + 1, &n) == 1 &&
              EVP_CIPHER_CTX_ctrl(write_.ctx, EVP_CTRL_AEAD_GET_TAG, int(kTag), c + chunk + 1) == 1;
    if (!ok) {
      out.resize(at);
      return fail("cannot encrypt a record");
    }
    ++write_.seq;
    data += chunk;
    size -= chunk;
  } while (size > 0);
  return true;
}

int Tls13Records::traffic_secret(std::string_view line, std::string& secret) {
  int which = line.starts_with("CLIENT_TRAFFIC_SECRET_0 ")   ? 0
              : line.starts_with("SERVER_TRAFFIC_SECRET_0 ") ? 1
                                                             : -1;
  if (which < 0) return -1;
  auto digit = [](char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  std::string_view hex = line.substr(line.rfind(' ') + 1);
  secret.clear();
  for (size_t i = 0; i + 1 < hex.size(); i += 2) {
    int hi = digit(hex[i]), lo = digit(hex[i + 1]);
    if (hi < 0 || lo < 0) {
      secret.clear();
      return -1;
    }
    secret += char(hi * 16 + lo);
  }
  return which;
}

bool Tls13Records::has_record(std::string_view in) {
  if (in.size() < kHeader) return false;
  size_t length = (size_t(uint8_t(in[3])) << 8) | uint8_t(in[4]);
  return in.size() >= kHeader + length;
}

Tls13Records::Open Tls13Records::open(std::string_view in, size_t& used, uint8_t& type, char* plain,
                                      size_t& plain_size) {
  if (in.size() < kHeader) return Open::need_more;
  auto* p = reinterpret_cast<const unsigned char*>(in.data());
  if (p[0] != kApplicationData) {
    fail("unexpected record type " + std::to_string(p[0]) + " after the handshake", kUnexpectedMessage);
    return Open::failed;
  }
  size_t length = (size_t(p[3]) << 8) | p[4];
  if (length > kMaxCiphertext || length < kTag + 1) {
    fail("record of " + std::to_string(length) + " bytes (record_overflow)", kRecordOverflow);
    return Open::failed;
  }
  if (in.size() < kHeader + length) return Open::need_more;
  if (read_.seq >= records_per_key_) {
    fail("the peer sent " + std::to_string(records_per_key_) +
             " records under one key without a KeyUpdate (the usage limit, RFC 8446 §5.5)",
         kUnexpectedMessage);
    return Open::failed;
  }
  if (!ready(read_, false)) return Open::failed;
  unsigned char iv[12];
  nonce(read_, iv);
  size_t body = length - kTag;
  int n = 0, m = 0;
  auto* out = reinterpret_cast<unsigned char*>(plain);
  bool ok = EVP_DecryptInit_ex(read_.ctx, nullptr, nullptr, nullptr, iv) == 1 &&
            EVP_DecryptUpdate(read_.ctx, nullptr, &n, p, int(kHeader)) == 1 &&
            EVP_DecryptUpdate(read_.ctx, out, &n, p + kHeader, int(body)) == 1 &&
            EVP_CIPHER_CTX_ctrl(read_.ctx, EVP_CTRL_AEAD_SET_TAG, int(kTag),
                                const_cast<unsigned char*>(p + kHeader + body)) == 1 &&
            EVP_DecryptFinal_ex(read_.ctx, out + n, &m) == 1;
  if (!ok) {
    fail("a record failed its integrity check (bad_record_mac)", kBadRecordMac);
    return Open::failed;
  }
  ++read_.seq;
  // The content type is the last byte that is not padding (§5.4).
  size_t end = body;
  while (end > 0 && out[end - 1] == 0) --end;
  if (end == 0 || end - 1 > kMaxPlaintext) {
    fail(end == 0 ? "a record without a content type" : "record too long after decryption",
         end == 0 ? kUnexpectedMessage : kRecordOverflow);
    return Open::failed;
  }
  type = out[end - 1];
  plain_size = end - 1;
  used = kHeader + length;
  return Open::record;
}

}  // namespace convene::tls
