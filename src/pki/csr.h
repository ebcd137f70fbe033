#pragma once
// Certificate signing requests: making one for a key (subject + SANs), and reading
// one back (for `pki inspect` and for the lab CA, which copies subject and SANs).
#include <vector>

#include "pki/key.h"
#include "pki/name.h"
#include "pki/openssl_ptr.h"
#include "util/result.h"

namespace convene::pki {

struct CsrRequest {
  DistinguishedName subject;
  std::vector<AltName> sans;
};

// Validates the subject (validate_name; it must not be empty) and signs the request
// with `key` (SHA-256).
Result<X509ReqPtr> make_csr(const CsrRequest& request, EVP_PKEY* key);

struct CsrInfo {
  DistinguishedName subject;
  std::vector<AltName> sans;
  KeyInfo public_key;
  bool signature_ok = false;  // the request is signed by the key it carries
};
Result<CsrInfo> read_csr_info(X509_REQ* csr);

}  // namespace convene::pki
