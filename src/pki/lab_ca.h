#pragma once
// A lab certificate authority, so that an operator (and our tests) can try every
// certificate workflow without an outside CA: self-signed certificates, CA
// certificates, and signing CSRs with a chosen validity window — including windows
// in the past or future, which is how tests make expired and not-yet-valid
// certificates. Not meant to replace a real CA in production.
#include <optional>

#include "pki/certificate_info.h"
#include "pki/csr.h"
#include "pki/openssl_ptr.h"
#include "util/result.h"

namespace convene::pki {

struct IssueOptions {
  long days = 365;        // validity length, 1..36500
  long start_days = 0;    // notBefore = now + start_days (negative: in the past)
  bool is_ca = false;     // basicConstraints CA:TRUE + keyCertSign, else a TLS server+client leaf
  std::optional<long> path_length;  // CA only
};
Status validate_issue_options(const IssueOptions& options);

// Signs `csr` with the CA (`ca_cert`, `ca_key`), copying the CSR's subject and
// subjectAltNames. Checks the CSR's own signature, that `ca_key` belongs to
// `ca_cert`, and that `ca_cert` is a CA valid at `now`.
Result<X509Ptr> sign_csr(X509_REQ* csr, X509* ca_cert, EVP_PKEY* ca_key, const IssueOptions& options, Time now);

// A certificate for `key` signed by itself, with `request`'s subject and SANs.
// With options.is_ca it is a root CA certificate.
Result<X509Ptr> make_self_signed(const CsrRequest& request, EVP_PKEY* key, const IssueOptions& options, Time now);

}  // namespace convene::pki
