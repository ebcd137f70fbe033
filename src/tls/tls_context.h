#pragma once
// TLS contexts, built in one place for both of Convene's uses:
//
// - Purpose::mutual (cluster links, from three PEM files: this node's private key,
//   its certificate (a leaf, optionally followed by intermediates), and a trust
//   bundle). The trust bundle may hold the CAs that issued the peers' certificates
//   OR the peers' own (leaf) certificates: X509_V_FLAG_PARTIAL_CHAIN lets a
//   certificate found in the bundle end the chain, so both the seed's lab (one
//   shared self-signed certificate) and its production bundle (xmppserver1..3.crt
//   concatenated) verify. The context serves both roles (accept and connect).
//   Peers are identified by the trust bundle, not by host name: no host-name check
//   is made. Peer verification is required in both directions. A refused peer
//   certificate is logged (logger "tls") with its subject and the reason.
//
// - Purpose::xmpp_clients (the XMPP service's listeners): accepts only, asks the
//   client for no certificate, may send extra chain certificates from a bundle
//   file, gives OpenSSL's record buffers back while a connection is idle, and lets
//   sessions leave OpenSSL after a TLS 1.3 handshake (TlsSession::prepare_context).
//
// - Purpose::https_clients (the web admin's HTTPS listener): accepts only, asks the
//   client for no certificate, may send extra chain certificates; its connections
//   stay in OpenSSL (asio::ssl streams of the HTTP library), so no key log callback.
//
// Both: TLS 1.2 is the minimum, and there is no session resumption (no tickets,
// no session cache), so every connection is verified against the current trust
// and a TLS 1.3 session's first application record is number 0 (tls_session.h).
// The option sets differ in detail (see make_tls_context) and are kept exactly as
// each use has always had them.
//
// Thread safety: the returned context is immutable once built and may be used
// by any number of connections on any threads.
#include <asio/ssl/context.hpp>

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "util/result.h"

namespace convene::tls {

struct TlsFiles {
  std::filesystem::path key;    // PEM private key (unencrypted)
  std::filesystem::path cert;   // PEM certificate, leaf first, then intermediates
  std::filesystem::path trust;  // PEM bundle: CAs and/or peers' leaf certificates
};

enum class Purpose { mutual, xmpp_clients, https_clients };

struct TlsContextSpec {
  Purpose purpose = Purpose::mutual;
  std::filesystem::path key;    // PEM private key (unencrypted)
  std::filesystem::path cert;   // PEM certificate, leaf first, then intermediates
  std::filesystem::path trust;  // mutual: PEM bundle of CAs and/or peers' leaf certificates
  // xmpp_clients and https_clients, optional: more chain certificates sent after cert's own. An
  // unreadable file is an error; one without certificates adds none.
  std::filesystem::path extra_chain;
};

// Checks the files (present, PEM, key matches certificate, bundle not empty) and
// builds the context. Every failure names the file and says what is wrong.
Result<std::shared_ptr<asio::ssl::context>> make_tls_context(const TlsContextSpec& spec);

// The cluster's context: make_tls_context with Purpose::mutual.
Result<std::shared_ptr<asio::ssl::context>> make_mutual_tls_context(const TlsFiles& files);

// What a mutual-TLS peer's verified certificate says about who it is; the
// cluster layer decides what that allows (cluster/peer_identity.h).
struct PeerCertificate {
  std::string subject;             // one line, for logs
  std::vector<std::string> names;  // subjectAltName DNS and IP entries (IPs as text), then the CN
  bool in_trust_bundle = false;    // its public key is that of a certificate in the trust bundle (a pin)
  bool same_key_as_ours = false;   // it holds this node's own key (one certificate shared by all nodes)
};
// The peer certificate of a connection whose handshake verified it; nothing
// when there is none or it did not verify. Any thread (the connection's).
std::optional<PeerCertificate> peer_certificate(SSL* ssl);

}  // namespace convene::tls
