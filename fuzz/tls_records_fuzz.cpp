// The TLS 1.3 record layer's open(), as it meets a client's bytes after the
// handshake. One real handshake between two OpenSSL endpoints in memory (made once)
// gives both sides' traffic secrets; each input is then either raw bytes (the
// record header and the AEAD check) or records the client side sealed from the
// input (the inner content type, padding and length checks behind the AEAD).
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>

#include "tls/tls13_records.h"

using convene::tls::Tls13Records;

namespace {

struct Secrets {
  std::string client, server;  // application traffic secret 0 of each side
};

void keylog(const SSL* ssl, const char* line) {
  auto* s = static_cast<Secrets*>(SSL_get_app_data(ssl));
  std::string secret;
  int which = Tls13Records::traffic_secret(line, secret);
  if (which == 0) s->client = secret;
  if (which == 1) s->server = secret;
}

SSL_CTX* context(bool server) {
  SSL_CTX* ctx = SSL_CTX_new(server ? TLS_server_method() : TLS_client_method());
  SSL_CTX_set_min_proto_version(ctx, TLS1_3_VERSION);
  SSL_CTX_set_keylog_callback(ctx, keylog);
  if (!server) return ctx;
  // A throwaway self-signed P-256 certificate: the record layer never looks at it.
  EVP_PKEY* key = EVP_EC_gen("P-256");
  X509* cert = X509_new();
  X509_set_version(cert, 2);
  X509_gmtime_adj(X509_getm_notBefore(cert), 0);
  X509_gmtime_adj(X509_getm_notAfter(cert), 3600);
  X509_set_pubkey(cert, key);
  X509_NAME_add_entry_by_txt(X509_get_subject_name(cert), "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>("fuzz"), -1, -1, 0);
  X509_set_issuer_name(cert, X509_get_subject_name(cert));
  X509_sign(cert, key, EVP_sha256());
  SSL_CTX_use_certificate(ctx, cert);
  SSL_CTX_use_PrivateKey(ctx, key);
  SSL_CTX_set_num_tickets(ctx, 0);  // no record after the handshake: both sequences start at 0
  X509_free(cert);
  EVP_PKEY_free(key);
  return ctx;
}

struct Pair {
  std::unique_ptr<Tls13Records> server, client;
};

// A fresh pair per input, so sequence numbers and key generations start equal.
Pair handshake() {
  static SSL_CTX* server_ctx = context(true);
  static SSL_CTX* client_ctx = context(false);
  Secrets server_secrets, client_secrets;
  SSL* server = SSL_new(server_ctx);
  SSL* client = SSL_new(client_ctx);
  SSL_set_app_data(server, &server_secrets);
  SSL_set_app_data(client, &client_secrets);
  BIO *server_bio, *client_bio;
  BIO_new_bio_pair(&server_bio, 0, &client_bio, 0);
  SSL_set_bio(server, server_bio, server_bio);
  SSL_set_bio(client, client_bio, client_bio);
  SSL_set_accept_state(server);
  SSL_set_connect_state(client);
  for (int round = 0; round < 10 && !(SSL_is_init_finished(server) && SSL_is_init_finished(client)); ++round) {
    SSL_do_handshake(client);
    SSL_do_handshake(server);
  }
  Pair p;
  p.server = Tls13Records::take_over(server, server_secrets.client, server_secrets.server);
  p.client = Tls13Records::take_over(client, client_secrets.server, client_secrets.client);
  SSL_free(server);
  SSL_free(client);
  if (!p.server || !p.client) std::abort();  // the harness itself is broken
  return p;
}

void open_all(Tls13Records& records, std::string_view in) {
  char plain[Tls13Records::kMaxCiphertext];
  while (!in.empty()) {
    size_t used = 0, plain_size = 0;
    uint8_t type = 0;
    if (records.open(in, used, type, plain, plain_size) != Tls13Records::Open::record) return;
    if (used == 0 || used > in.size() || plain_size > Tls13Records::kMaxPlaintext) std::abort();
    in.remove_prefix(used);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  Pair pair = handshake();
  std::string_view rest(reinterpret_cast<const char*>(data + 2), size - 2);
  if (data[0] % 2 == 0) {
    open_all(*pair.server, rest);
    return 0;
  }
  // Sealed by the peer: what it carries, in what content type, with a key update
  // on both sides first when asked.
  if (data[0] & 2) {
    pair.client->update_write_key();
    pair.server->update_read_key();
  }
  std::string wire;
  if (!pair.client->seal(data[1], rest.data(), rest.size(), wire)) return 0;
  open_all(*pair.server, wire);
  return 0;
}
