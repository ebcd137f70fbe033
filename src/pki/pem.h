#pragma once
// Reading PEM files: a file may hold any number of certificates (a bundle: leaf,
// intermediates, root last), private keys and certificate requests, possibly with
// text around the blocks (as exported by Windows CAs). parse_pem tells what a file
// holds; the load_* helpers demand one kind and say clearly when it is missing.
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "pki/openssl_ptr.h"
#include "util/result.h"

namespace convene::pki {

struct PemFile {
  CertificateList certificates;          // file order
  std::vector<EvpPkeyPtr> private_keys;
  std::vector<X509ReqPtr> requests;

  bool empty() const { return certificates.empty() && private_keys.empty() && requests.empty(); }
  // "a PEM encoded certificate", "3 PEM encoded certificates and a PEM encoded private key".
  std::string describe() const;
};

// Parses every PEM block of `text`. `source` names the file in messages. Fails on
// text without PEM blocks (with a DER hint for binary data), damaged or truncated
// blocks, encrypted keys and block types other than certificates, keys and CSRs.
Result<PemFile> parse_pem(std::string_view text, std::string_view source);
Result<PemFile> load_pem_file(const std::filesystem::path& path);

// At least one certificate; other blocks in the file are ignored.
Result<CertificateList> load_certificates(const std::filesystem::path& path);
// Exactly one private key.
Result<EvpPkeyPtr> load_private_key(const std::filesystem::path& path);
// Exactly one certificate request.
Result<X509ReqPtr> load_csr(const std::filesystem::path& path);

std::string certificate_pem(X509* cert);
// Concatenated PEM of every certificate, in order (a bundle file).
std::string certificates_pem(const CertificateList& certs);
std::string csr_pem(X509_REQ* csr);

}  // namespace convene::pki
