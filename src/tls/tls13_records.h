#pragma once
// The TLS 1.3 record layer (RFC 8446 §5) for a session whose handshake OpenSSL did:
// given the two application traffic secrets, it seals and opens records with
// OpenSSL's AEAD ciphers (EVP), and follows KeyUpdate (§4.6.3).
//
// Why by hand: an OpenSSL session keeps ~13 KiB per connection after its handshake
// (the SSL object alone is 7.6 KiB, mostly record-layer arrays sized for 32
// pipelines) and none of it can be given back while a connection idles; the state
// a TLS 1.3 record layer needs is two keys, two IVs and two counters. The kernel's
// TLS (kTLS) would do the same job, but its module is not there on the machines we
// run on. The cryptography stays OpenSSL's; only the framing is here.
#include <openssl/evp.h>
#include <openssl/ssl.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace convene::tls {

class Tls13Records {
 public:
  // Content types (RFC 8446 §5.1).
  static constexpr uint8_t kAlert = 21, kHandshake = 22, kApplicationData = 23;
  // Alert descriptions (§6) a failure is reported with.
  static constexpr uint8_t kUnexpectedMessage = 10, kBadRecordMac = 20, kRecordOverflow = 22, kIllegalParameter = 47,
                           kDecodeError = 50, kInternalError = 80;
  static constexpr size_t kMaxPlaintext = 16384;
  static constexpr size_t kMaxCiphertext = kMaxPlaintext + 256;
  static constexpr size_t kHeader = 5, kTag = 16;
  // Records under one key at most (RFC 8446 §5.5): AES-GCM is safe to 2^24.5 full
  // records per key; 2^24 leaves room, and ChaCha20-Poly1305 (safe far beyond) gets
  // the same number so one rule holds for every suite.
  static constexpr uint64_t kRecordsPerKey = uint64_t(1) << 24;

  // Takes over `ssl` after its handshake, with the peer's (read) and our (write)
  // application traffic secret 0: null unless it is TLS 1.3 with one of the three
  // default suites and OpenSSL holds no byte read ahead (then OpenSSL keeps it).
  static std::unique_ptr<Tls13Records> take_over(const SSL* ssl, std::string_view read_secret,
                                                 std::string_view write_secret);
  ~Tls13Records();
  Tls13Records(const Tls13Records&) = delete;
  Tls13Records& operator=(const Tls13Records&) = delete;

  // Appends the records that carry `data` (split at kMaxPlaintext) as content
  // `type`.
  bool seal(uint8_t type, const char* data, size_t size, std::string& out);

  enum class Open { record, need_more, failed };
  // Opens the first record of `in`: on `record`, `used` bytes of `in` are
  // consumed and its content (at most kMaxPlaintext bytes) is in `plain` (which
  // must hold kMaxCiphertext), its length in `plain_size`, its content type in
  // `type`.
  Open open(std::string_view in, size_t& used, uint8_t& type, char* plain, size_t& plain_size);
  // Whether `in` starts with a whole record.
  static bool has_record(std::string_view in);
  // From a line of OpenSSL's key log callback: 0 for the client's application
  // traffic secret 0, 1 for the server's (the secret in `secret`), -1 for any other.
  static int traffic_secret(std::string_view keylog_line, std::string& secret);

  // The next generation of keys in one direction (KeyUpdate).
  bool update_read_key();
  bool update_write_key();
  // The usage limit (kRecordsPerKey unless a test makes it small): open() refuses a
  // record beyond it under one read key and seal() one beyond it under one write
  // key; a key is worn from half of it on, time for a KeyUpdate.
  void set_records_per_key(uint64_t limit) { records_per_key_ = limit; }
  bool write_key_worn() const { return write_.seq >= records_per_key_ / 2; }
  bool read_key_worn() const { return read_.seq >= records_per_key_ / 2; }
  // Frees both cipher contexts (~1 KiB each); the next seal or open makes them
  // again.
  void release_contexts();
  const std::string& error() const { return error_; }
  // The alert the last failure calls for (§6.2).
  uint8_t alert() const { return alert_; }

 private:
  struct Direction {
    std::string secret;
    unsigned char key[32];
    unsigned char iv[12];
    uint64_t seq = 0;
    EVP_CIPHER_CTX* ctx = nullptr;
  };
  Tls13Records(const EVP_CIPHER* cipher, const char* digest, size_t key_len, size_t hash_len)
      : cipher_(cipher), digest_(digest), key_len_(key_len), hash_len_(hash_len) {}
  bool set_secret(Direction& d, std::string secret);
  bool update(Direction& d);
  bool ready(Direction& d, bool encrypt);
  void nonce(const Direction& d, unsigned char out[12]) const;
  bool fail(std::string why, uint8_t alert = kInternalError);

  const EVP_CIPHER* cipher_;
  const char* digest_;
  size_t key_len_, hash_len_;
  Direction read_, write_;
  uint64_t records_per_key_ = kRecordsPerKey;
  std::string error_;
  uint8_t alert_ = kInternalError;
};

}  // namespace convene::tls
