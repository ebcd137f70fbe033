#pragma once
// Mutual-TLS contexts built from three PEM files: this node's private key, its
// certificate (a leaf, optionally followed by intermediates), and a trust bundle.
//
// The trust bundle may hold the CAs that issued the peers' certificates OR the
// peers' own (leaf) certificates: X509_V_FLAG_PARTIAL_CHAIN lets a certificate
// found in the bundle end the chain, so both the seed's lab (one shared
// self-signed certificate) and its production bundle (xmppserver1..3.crt
// concatenated) verify.
//
// The context serves both roles (accept and connect). Peers are identified by
// the trust bundle, not by host name: no host-name check is made. Peer
// verification is required in both directions, TLS 1.2 is the minimum, session
// resumption is off so every connection is verified against the current trust.
// A refused peer certificate is logged (logger "tls") with its subject and the
// reason.
//
// Thread safety: the returned context is immutable once built and may be used
// by any number of connections on any threads.
#include <asio/ssl/context.hpp>

#include <filesystem>
#include <memory>
#include <string>

#include "util/result.h"

namespace convene::tls {

struct TlsFiles {
  std::filesystem::path key;    // PEM private key (unencrypted)
  std::filesystem::path cert;   // PEM certificate, leaf first, then intermediates
  std::filesystem::path trust;  // PEM bundle: CAs and/or peers' leaf certificates
};

// Checks the files (present, PEM, key matches certificate, bundle not empty) and
// builds the context. Every failure names the file and says what is wrong.
Result<std::shared_ptr<asio::ssl::context>> make_mutual_tls_context(const TlsFiles& files);

}  // namespace convene::tls
