#include "tls/tls_context.h"

#include <arpa/inet.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

#include <chrono>
#include <map>
#include <mutex>
#include <system_error>
#include <vector>

#include "tls/tls_session.h"
#include "tls/x509_pem.h"
#include "util/files.h"
#include "util/log.h"
#include "util/openssl_error.h"

namespace convene::tls {
namespace {

struct PkeyFree { void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); } };
using PkeyPtr = std::unique_ptr<EVP_PKEY, PkeyFree>;

Result<std::string> read_input(const std::filesystem::path& path, const char* what) {
  std::error_code ec;
  if (path.empty()) return make_error(std::string("no ") + what + " file given");
  if (!std::filesystem::exists(path, ec))
    return make_error(std::string(what) + " file '" + path.string() + "' not found",
                      "check the path, or upload the file first");
  auto text = read_file(path);
  if (!text) return text.error();
  return text;
}

int verify_callback(int preverify_ok, X509_STORE_CTX* store) {
  if (!preverify_ok) {
    int err = X509_STORE_CTX_get_error(store);
    // Refused peers retry often: say it once per 10 s per certificate and reason.
    static std::mutex mutex;
    static std::map<std::string, std::chrono::steady_clock::time_point> logged;
    std::string key = subject_of(X509_STORE_CTX_get_current_cert(store)) + "|" + std::to_string(err);
    auto now = std::chrono::steady_clock::now();
    {
      std::lock_guard lock(mutex);
      // Bounded: a peer making up subjects must not grow this map for ever.
      if (logged.size() >= 1024 && !logged.count(key)) {
        std::erase_if(logged, [&](auto& e) { return now - e.second >= std::chrono::seconds(10); });
        if (logged.size() >= 1024) return preverify_ok;
      }
      auto& last = logged[key];
      if (last != std::chrono::steady_clock::time_point{} && now - last < std::chrono::seconds(10))
        return preverify_ok;
      last = now;
    }
    logger("tls")->warn("refused peer certificate: subject '{}' at depth {}: {}",
                        subject_of(X509_STORE_CTX_get_current_cert(store)),
                        X509_STORE_CTX_get_error_depth(store), X509_verify_cert_error_string(err));
  }
  return preverify_ok;
}

std::string asn1_text(const ASN1_STRING* s) {
  unsigned char* utf8 = nullptr;
  int n = ASN1_STRING_to_UTF8(&utf8, s);
  if (n < 0) return {};
  std::string out(reinterpret_cast<char*>(utf8), static_cast<size_t>(n));
  OPENSSL_free(utf8);
  return out;
}

std::vector<std::string> names_of(X509* x) {
  std::vector<std::string> out;
  auto* sans = static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(x, NID_subject_alt_name, nullptr, nullptr));
  for (int i = 0; sans && i < sk_GENERAL_NAME_num(sans); ++i) {
    const GENERAL_NAME* n = sk_GENERAL_NAME_value(sans, i);
    if (n->type == GEN_DNS) out.push_back(asn1_text(n->d.dNSName));
    if (n->type == GEN_IPADD) {
      const ASN1_OCTET_STRING* ip = n->d.iPAddress;
      char buf[INET6_ADDRSTRLEN] = {};
      int family = ip->length == 4 ? AF_INET : ip->length == 16 ? AF_INET6 : 0;
      if (family && inet_ntop(family, ip->data, buf, sizeof buf)) out.emplace_back(buf);
    }
  }
  GENERAL_NAMES_free(sans);
  X509_NAME* subject = X509_get_subject_name(x);
  for (int i = -1; (i = X509_NAME_get_index_by_NID(subject, NID_commonName, i)) >= 0;)
    out.push_back(asn1_text(X509_NAME_ENTRY_get_data(X509_NAME_get_entry(subject, i))));
  return out;
}

}  // namespace

std::optional<PeerCertificate> peer_certificate(SSL* ssl) {
  X509Ptr peer(SSL_get1_peer_certificate(ssl));
  if (!peer || SSL_get_verify_result(ssl) != X509_V_OK) return std::nullopt;
  PeerCertificate out;
  out.subject = subject_of(peer.get());
  out.names = names_of(peer.get());
  EVP_PKEY* key = X509_get0_pubkey(peer.get());
  if (X509* own = SSL_get_certificate(ssl); own && key)
    out.same_key_as_ours = EVP_PKEY_eq(X509_get0_pubkey(own), key) == 1;
  X509_STORE* store = SSL_CTX_get_cert_store(SSL_get_SSL_CTX(ssl));
  if (store && key) {
    X509_STORE_lock(store);
    STACK_OF(X509_OBJECT)* objects = X509_STORE_get0_objects(store);
    for (int i = 0; i < sk_X509_OBJECT_num(objects) && !out.in_trust_bundle; ++i) {
      X509* trusted = X509_OBJECT_get0_X509(sk_X509_OBJECT_value(objects, i));
      out.in_trust_bundle = trusted && EVP_PKEY_eq(X509_get0_pubkey(trusted), key) == 1;
    }
    X509_STORE_unlock(store);
  }
  return out;
}

Result<std::shared_ptr<asio::ssl::context>> make_tls_context(const TlsContextSpec& spec) {
  const bool mutual = spec.purpose == Purpose::mutual;
  auto key_pem = read_input(spec.key, "key");
  if (!key_pem) return key_pem.error();
  auto cert_pem = read_input(spec.cert, "certificate");
  if (!cert_pem) return cert_pem.error();
  Result<std::string> trust_pem = std::string();
  if (mutual) trust_pem = read_input(spec.trust, "trust bundle");
  if (!trust_pem) return trust_pem.error();

  auto chain = parse_certificates(*cert_pem);
  if (chain.empty())
    return make_error("certificate file '" + spec.cert.string() + "' holds no PEM certificate",
                      "give a PEM file starting with -----BEGIN CERTIFICATE-----");
  std::unique_ptr<BIO, BioFree> key_bio(
      BIO_new_mem_buf(key_pem->data(), static_cast<int>(key_pem->size())));
  PkeyPtr key(PEM_read_bio_PrivateKey(key_bio.get(), nullptr, nullptr, nullptr));
  if (!key) {
    ERR_clear_error();
    return make_error("key file '" + spec.key.string() + "' holds no PEM private key",
                      "give an unencrypted PEM key (-----BEGIN PRIVATE KEY-----)");
  }
  if (X509_check_private_key(chain.front().get(), key.get()) != 1) {
    ERR_clear_error();
    return make_error("key '" + spec.key.string() + "' does not match certificate '" +
                          spec.cert.string() + "' (" + subject_of(chain.front().get()) + ")",
                      "give the key that was generated with this certificate's request");
  }
  std::vector<X509Ptr> trusted;
  if (mutual) {
    trusted = parse_certificates(*trust_pem);
    if (trusted.empty())
      return make_error("trust bundle '" + spec.trust.string() + "' holds no PEM certificate",
                        "give the CA certificate(s) or the peers' own certificates, in PEM");
  }
  std::vector<X509Ptr> extra_chain;
  if (!spec.extra_chain.empty()) {
    auto text = read_file(spec.extra_chain);
    if (!text) return make_error("cannot read the bundle '" + spec.extra_chain.string() + "'");
    extra_chain = parse_certificates(*text);
  }

  std::shared_ptr<asio::ssl::context> ctx;
  try {
    // Cluster links both accept and connect; the XMPP listeners only accept.
    ctx = std::make_shared<asio::ssl::context>(mutual ? asio::ssl::context::tls : asio::ssl::context::tls_server);
  } catch (const std::exception& e) {
    return make_error(std::string("cannot create a TLS context: ") + e.what());
  }
  SSL_CTX* ssl = ctx->native_handle();
  // Both refuse anything older than TLS 1.2; each keeps the spelling it has always
  // had (a minimum version, or OpenSSL's workarounds with the old versions off).
  if (mutual) {
    SSL_CTX_set_min_proto_version(ssl, TLS1_2_VERSION);
    SSL_CTX_set_options(ssl, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_TICKET);
    SSL_CTX_set_session_cache_mode(ssl, SSL_SESS_CACHE_OFF);
    static const unsigned char kSessionContext[] = "convene";
    SSL_CTX_set_session_id_context(ssl, kSessionContext, sizeof kSessionContext - 1);
  } else {
    asio::error_code ec;
    ctx->set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                         asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 |
                         asio::ssl::context::no_tlsv1_1,
                     ec);
  }

  if (SSL_CTX_use_certificate(ssl, chain.front().get()) != 1)
    return make_error("certificate '" + spec.cert.string() + "' refused: " + take_openssl_error());
  for (size_t i = 1; i < chain.size(); ++i)
    if (SSL_CTX_add1_chain_cert(ssl, chain[i].get()) != 1)
      return make_error("intermediate certificate " + std::to_string(i) + " of '" +
                        spec.cert.string() + "' refused: " + take_openssl_error());
  if (SSL_CTX_use_PrivateKey(ssl, key.get()) != 1 || SSL_CTX_check_private_key(ssl) != 1)
    return make_error("key '" + spec.key.string() + "' refused: " + take_openssl_error());
  for (auto& x : extra_chain) SSL_CTX_add1_chain_cert(ssl, x.get());

  if (mutual) {
    X509_STORE* store = SSL_CTX_get_cert_store(ssl);
    for (auto& x : trusted) {
      if (X509_STORE_add_cert(store, x.get()) != 1) {
        // A certificate present twice in the bundle is harmless.
        unsigned long e = ERR_peek_last_error();
        if (ERR_GET_REASON(e) != X509_R_CERT_ALREADY_IN_HASH_TABLE)
          return make_error("trust bundle '" + spec.trust.string() + "': " + take_openssl_error());
        ERR_clear_error();
      }
    }
    X509_STORE_set_flags(store, X509_V_FLAG_PARTIAL_CHAIN);
    SSL_CTX_set_verify(ssl, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, verify_callback);
    if (X509_cmp_current_time(X509_get0_notAfter(chain.front().get())) < 0)
      logger("tls")->warn("certificate '{}' ({}) has expired: peers will refuse it",
                          spec.cert.string(), subject_of(chain.front().get()));
  } else if (spec.purpose == Purpose::xmpp_clients) {
    // Thousands of idle client connections: give OpenSSL's record buffers back
    // while a connection has nothing in flight.
    SSL_CTX_set_mode(ssl, SSL_MODE_RELEASE_BUFFERS);
    // No session resumption, and sessions leave OpenSSL after a TLS 1.3 handshake.
    TlsSession::prepare_context(ssl);
  } else {
    // HTTPS: no session resumption either (every connection is a full handshake
    // against the current certificate); the HTTP library's streams keep the SSL
    // object, so no key log callback (it would hand secrets to a TlsSession).
    SSL_CTX_set_options(ssl, SSL_OP_NO_TICKET);
    SSL_CTX_set_session_cache_mode(ssl, SSL_SESS_CACHE_OFF);
    SSL_CTX_set_num_tickets(ssl, 0);
  }
  return ctx;
}

Result<std::shared_ptr<asio::ssl::context>> make_mutual_tls_context(const TlsFiles& files) {
  return make_tls_context({Purpose::mutual, files.key, files.cert, files.trust, {}});
}

}  // namespace convene::tls
