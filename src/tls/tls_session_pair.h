#pragma once
// Test-only (header only, for tls_*_test.cpp): a server TlsSession and an OpenSSL
// client on a socketpair.
#include <gtest/gtest.h>
#include <openssl/bio.h>
#include <openssl/ssl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <memory>
#include <string>
#include <vector>

#include "pki/pki_test_support.h"
#include "tls/tls_session.h"

namespace convene::tls::testing {

// A server TlsSession and a plain OpenSSL client on the two ends of a non-blocking
// socketpair, pumped by hand: every want_read/want_write is answered by letting
// the other side run, as the event loop would.
struct Pair {
  int fds[2] = {-1, -1};
  SSL_CTX* server_ctx = SSL_CTX_new(TLS_server_method());
  SSL_CTX* client_ctx = SSL_CTX_new(TLS_client_method());
  std::unique_ptr<TlsSession> server;
  SSL* client = nullptr;

  // own_records: the server context is prepared, so TLS 1.3 sessions leave OpenSSL
  // after the handshake (tls13_records.h); max_version caps the client's TLS.
  explicit Pair(bool own_records = true, int max_version = 0, const TlsSession::Options& options = {}) {
    signal(SIGPIPE, SIG_IGN);  // as in convened
    if (own_records) TlsSession::prepare_context(server_ctx);
    SSL_CTX_set_keylog_callback(client_ctx, &Pair::client_keylog);
    if (max_version) SSL_CTX_set_max_proto_version(client_ctx, max_version);
    auto now = std::chrono::time_point_cast<std::chrono::seconds>(std::chrono::system_clock::now());
    auto leaf = pki::testing::make_root("tls-session.test", pki::Time(now.time_since_epoch()));
    SSL_CTX_use_certificate(server_ctx, leaf.cert.get());
    SSL_CTX_use_PrivateKey(server_ctx, leaf.key.get());
    EXPECT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, fds), 0);
    server = TlsSession::accept(server_ctx, fds[0], options);
    client = SSL_new(client_ctx);
    SSL_set_app_data(client, this);
    SSL_set_fd(client, fds[1]);
    SSL_set_connect_state(client);
  }
  ~Pair() {
    server.reset();
    SSL_free(client);
    SSL_CTX_free(server_ctx);
    SSL_CTX_free(client_ctx);
    close(fds[0]);
    close(fds[1]);
  }
  bool client_handshake() { return SSL_do_handshake(client) == 1; }
  // The client's application traffic secrets 0 (client's, server's), from its key log.
  std::string client_secrets[2];
  static void client_keylog(const SSL* ssl, const char* line) {
    auto* self = static_cast<Pair*>(SSL_get_app_data(ssl));
    std::string secret;
    int which = Tls13Records::traffic_secret(line, secret);
    if (self && which >= 0) self->client_secrets[which] = secret;
  }
  // Right after the handshake, before the client sent or read a record: a record
  // layer with the client's keys, to send what OpenSSL would never (a hostile client)
  // and to open what the server sends.
  std::unique_ptr<Tls13Records> hostile_client() {
    return Tls13Records::take_over(client, client_secrets[1], client_secrets[0]);
  }
  void handshake() {
    bool server_done = false, client_done = false;
    for (int i = 0; i < 50 && !(server_done && client_done); ++i) {
      if (!client_done) client_done = client_handshake();
      if (!server_done) {
        auto step = server->handshake();
        ASSERT_NE(step, TlsSession::Step::failed) << server->error();
        server_done = step == TlsSession::Step::done;
      }
    }
    ASSERT_TRUE(server_done && client_done);
  }
  // Everything the client sends arrives at the server; then the server's reply at the client.
  void exchange(const std::string& up, const std::string& down) {
    size_t put = 0;
    std::string got;
    char buf[1000];
    for (int i = 0; i < 10000 && got.size() < up.size(); ++i) {
      size_t n = 0;
      if (put < up.size() && SSL_write_ex(client, up.data() + put, up.size() - put, &n) == 1) put += n;
      auto step = server->read(buf, sizeof buf, n);
      ASSERT_NE(step, TlsSession::Step::failed) << server->error();
      if (step == TlsSession::Step::done) got.append(buf, n);
    }
    ASSERT_EQ(got, up);
    size_t written = 0;
    std::string back;
    char cbuf[16384];
    for (int i = 0; i < 100000 && back.size() < down.size(); ++i) {
      size_t n = 0;
      if (written < down.size()) {
        auto step = server->write(down.data() + written, down.size() - written, n);
        ASSERT_NE(step, TlsSession::Step::failed) << server->error();
        written += n;
      }
      if (SSL_read_ex(client, cbuf, sizeof cbuf, &n) == 1) back.append(cbuf, n);
    }
    ASSERT_EQ(back, down);
  }
  // From here on the client's records go to memory, for the test to deliver.
  std::string client_records(const std::vector<std::string>& pieces) {
    BIO* mem = BIO_new(BIO_s_mem());
    SSL_set0_wbio(client, mem);
    for (const auto& piece : pieces) {
      size_t n = 0;
      EXPECT_EQ(SSL_write_ex(client, piece.data(), piece.size(), &n), 1);
    }
    char* records = nullptr;
    long size = BIO_get_mem_data(mem, &records);
    return std::string(records, size_t(size));
  }
};

}  // namespace convene::tls::testing
