#pragma once
// The certificates a mutual-TLS peer presented on a live connection, kept as PEM,
// and the check of a certificate chain against a trust bundle other than the one
// a context was built with.
//
// Why: a trust bundle or a certificate replaced at run time (`xmpp cluster trust`,
// `xmpp certs`) is used by the next handshake, not the established ones, so a
// mistake (a bundle without the CA the peers' certificates chain to, a new
// certificate from a CA the peers do not trust) would only show when a link is
// re-made, as a half-connected cluster. The admin layer checks the new material
// against what the live links show before anything changes.
//
// The rule is the cluster context's (tls_context.h): a certificate of the bundle
// may end the chain (X509_V_FLAG_PARTIAL_CHAIN), so a bundle of CAs and a bundle
// of the peers' own leaves both work; dates are checked.
// Pure functions, any thread (presented_chain: the connection's thread).
#include <openssl/ssl.h>

#include <filesystem>
#include <optional>
#include <string>

#include "util/result.h"

namespace convene::tls {

struct PresentedChain {
  std::string peer;     // who presented it ("127.0.1.2"), for messages; set by the caller
  std::string subject;  // the leaf's subject, one line
  std::string pem;      // the leaf first, then the certificates sent with it
};

// What the peer of a finished handshake presented; nothing when it presented none.
std::optional<PresentedChain> presented_chain(SSL* ssl);

// The subject of the first certificate of a PEM text, one line ("(none)" if none).
std::string first_subject(const std::string& pem);

// Verifies the chain `pem` (leaf first) against the certificates of `trust`:
// ok, or an error whose message is OpenSSL's reason and the certificate it
// stopped at ("unable to get local issuer certificate (at '/CN=n1')").
Status verify_against_bundle(const std::string& pem, const std::filesystem::path& trust);

}  // namespace convene::tls
