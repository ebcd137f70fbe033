#include "pki/file_ops.h"

#include "pki/pem.h"
#include "util/files.h"

namespace convene::pki {

namespace fs = std::filesystem;

namespace {

constexpr unsigned kKeyMode = 0600;
constexpr unsigned kPublicMode = 0644;

Status refuse_existing(const fs::path& path) {
  std::error_code ec;
  if (!fs::exists(path, ec)) return ok_status();
  return make_error("'" + path.filename().string() + "' already exists",
                    "Choose another name, or delete the old file first if you are sure it is no longer needed "
                    "(a deleted private key cannot be recovered).");
}

// Writes the key, then the second file; removes the key again if the second fails.
Status write_pair(const fs::path& key_file, const std::string& key_pem, const fs::path& other_file,
                  const std::string& other_pem) {
  CONVENE_TRY(write_file_atomic(key_file, key_pem, kKeyMode));
  if (auto st = write_file_atomic(other_file, other_pem, kPublicMode); !st) {
    std::error_code ec;
    fs::remove(key_file, ec);
    return st;
  }
  return ok_status();
}

// The output of `pki ca sign` may replace a certificate, nothing else.
Status check_certificate_output(const fs::path& out, const fs::path& ca_cert_file) {
  std::error_code ec;
  if (!fs::exists(out, ec)) return ok_status();
  if (fs::equivalent(out, ca_cert_file, ec))
    return make_error("'" + out.filename().string() + "' is the CA certificate itself", "Give another output file name.");
  auto pem = load_pem_file(out);
  bool only_certificates = pem && !pem->certificates.empty() && pem->private_keys.empty() && pem->requests.empty();
  if (!only_certificates)
    return make_error("'" + out.filename().string() + "' exists and is not a certificate file",
                      "Give the name of the certificate to write, e.g. server.crt; only certificates are replaced.");
  return ok_status();
}

}  // namespace

Status create_key_and_csr(const fs::path& key_file, const fs::path& csr_file, const CsrRequest& request,
                          const KeySpec& key_spec) {
  CONVENE_TRY(refuse_existing(key_file));
  CONVENE_TRY(refuse_existing(csr_file));
  auto key = generate_key(key_spec);
  if (!key) return key.error();
  auto csr = make_csr(request, key->get());
  if (!csr) return csr.error();
  return write_pair(key_file, private_key_pem(key->get()), csr_file, csr_pem(csr->get()));
}

Status create_self_signed(const fs::path& key_file, const fs::path& cert_file, const CsrRequest& request,
                          const IssueOptions& options, Time now, const KeySpec& key_spec) {
  CONVENE_TRY(refuse_existing(key_file));
  CONVENE_TRY(refuse_existing(cert_file));
  auto key = generate_key(key_spec);
  if (!key) return key.error();
  auto cert = make_self_signed(request, key->get(), options, now);
  if (!cert) return cert.error();
  return write_pair(key_file, private_key_pem(key->get()), cert_file, certificate_pem(cert->get()));
}

Status sign_csr_file(const fs::path& csr_file, const fs::path& cert_file, const fs::path& ca_cert_file,
                     const fs::path& ca_key_file, const IssueOptions& options, Time now,
                     bool append_ca_chain) {
  auto csr = load_csr(csr_file);
  if (!csr) return csr.error();
  auto ca_certs = load_certificates(ca_cert_file);
  if (!ca_certs) return ca_certs.error();
  auto ca_key = load_private_key(ca_key_file);
  if (!ca_key) return ca_key.error();
  CONVENE_TRY(check_certificate_output(cert_file, ca_cert_file));
  auto cert = sign_csr(csr->get(), ca_certs->front().get(), ca_key->get(), options, now);
  if (!cert) return cert.error();
  std::string pem = certificate_pem(cert->get());
  if (append_ca_chain) pem += certificates_pem(*ca_certs);
  return write_file_atomic(cert_file, pem, kPublicMode);
}

}  // namespace convene::pki
