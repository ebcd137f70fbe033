#pragma once
// Private keys: generation (RSA, EC), PEM encoding, a short description, and the
// "does this key belong to that certificate" check that every TLS user (XMPP,
// database cluster) runs before accepting a key/certificate pair.
#include <filesystem>
#include <string>

#include "pki/openssl_ptr.h"
#include "util/result.h"

namespace convene::pki {

struct KeySpec {
  enum class Type { kRsa, kEc };
  Type type = Type::kRsa;
  int rsa_bits = 2048;               // 2048..16384
  std::string ec_curve = "P-256";    // any name OpenSSL knows: P-256, P-384, prime256v1, ...
};

Result<EvpPkeyPtr> generate_key(const KeySpec& spec = {});

// Unencrypted PKCS#8 PEM ("-----BEGIN PRIVATE KEY-----"). Write it with mode 0600.
std::string private_key_pem(EVP_PKEY* key);

struct KeyInfo {
  std::string algorithm;  // OpenSSL's long name: "rsaEncryption", "id-ecPublicKey", "ED25519"
  std::string short_type; // "RSA", "EC", "ED25519"
  int bits = 0;
  std::string curve;      // EC only: "prime256v1", ...
  // "RSA 2048 bit", "EC 256 bit (prime256v1)".
  std::string summary() const;
};
KeyInfo key_info(const EVP_PKEY* key);

// OK when `key` is the private key of `cert`'s public key. The error names the
// certificate's subject and says what to do.
Status check_key_cert_pair(const EVP_PKEY* key, const X509* cert);

// The same for files: `key_file` a PEM private key, `cert_file` a PEM certificate
// or bundle (the key must match the first certificate, the leaf).
Status check_key_cert_files(const std::filesystem::path& key_file, const std::filesystem::path& cert_file);

}  // namespace convene::pki
