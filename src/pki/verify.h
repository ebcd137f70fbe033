#pragma once
// Chain and date verification, the check every TLS user runs before trusting a
// certificate: is the chain whole from the leaf to a trusted root, is every
// certificate in it within its dates at `now`, may each issuer sign.
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "pki/certificate_info.h"
#include "pki/openssl_ptr.h"
#include "util/result.h"

namespace convene::pki {

enum class ChainProblem {
  kNone,
  kEmpty,           // no certificate given
  kUnreadable,      // a file is missing or not PEM (verify_chain_files)
  kExpired,         // some certificate in the chain is past notAfter
  kNotYetValid,     // some certificate in the chain is before notBefore
  kUnknownIssuer,   // the chain does not reach a certificate of the trust bundle
  kUntrustedRoot,   // the chain ends in a self-signed certificate that is not trusted
  kBadSignature,    // a signature does not verify
  kIssuerNotCa,     // an issuer lacks CA:TRUE / keyCertSign
  kWrongPurpose,    // not usable as a TLS server/client certificate
  kHostMismatch,    // the leaf does not name the expected host
  kOther,
};

struct VerifyOptions {
  enum class Purpose { kAny, kTlsServer, kTlsClient };
  Purpose purpose = Purpose::kAny;
  std::string host;  // when set, the leaf must name it (SAN DNS/IP, or CN without SANs)
  // Accept a trust bundle that holds an intermediate without its root as an anchor.
  bool allow_partial_chain = false;
};

struct ChainReport {
  ChainProblem problem = ChainProblem::kNone;
  std::string reason;                       // operator text; empty when ok
  std::optional<CertificateInfo> culprit;   // the certificate at fault, when one is
  std::vector<CertificateInfo> chain;       // leaf first, root last, as built
  std::string hint;                         // overrides the problem's standard hint

  bool ok() const { return problem == ChainProblem::kNone; }
  // OK, or an Error with `reason` and a hint saying what to do about it.
  Status status() const;
};

// Verifies `bundle` (leaf first, then any intermediates, in any order) against the
// certificates of `trust` (roots, possibly with intermediates) at time `now`.
ChainReport verify_chain(const CertificateList& bundle, const CertificateList& trust, Time now,
                         const VerifyOptions& options = {});

// Verifies a self-contained bundle: its last certificate, which must be
// self-signed, is the trust anchor (the "root last" convention).
ChainReport verify_bundle(const CertificateList& bundle, Time now, const VerifyOptions& options = {});

// File forms of the above; `trust_file` empty means verify_bundle.
ChainReport verify_chain_files(const std::filesystem::path& cert_file, const std::filesystem::path& trust_file,
                               Time now, const VerifyOptions& options = {});

}  // namespace convene::pki
