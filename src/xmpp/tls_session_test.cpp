#include "xmpp/tls_session.h"

#include <gtest/gtest.h>
#include <openssl/ssl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <string>

#include "pki/pki_test_support.h"

namespace convene::xmpp {
namespace {

// A server TlsSession and a plain OpenSSL client on the two ends of a non-blocking
// socketpair, pumped by hand: every want_read/want_write is answered by letting
// the other side run, as the event loop would.
struct Pair {
  int fds[2] = {-1, -1};
  SSL_CTX* server_ctx = SSL_CTX_new(TLS_server_method());
  SSL_CTX* client_ctx = SSL_CTX_new(TLS_client_method());
  std::unique_ptr<TlsSession> server;
  SSL* client = nullptr;

  Pair() {
    auto now = std::chrono::time_point_cast<std::chrono::seconds>(std::chrono::system_clock::now());
    auto leaf = pki::testing::make_root("tls-session.test", pki::Time(now.time_since_epoch()));
    SSL_CTX_use_certificate(server_ctx, leaf.cert.get());
    SSL_CTX_use_PrivateKey(server_ctx, leaf.key.get());
    EXPECT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, fds), 0);
    server = TlsSession::accept(server_ctx, fds[0]);
    client = SSL_new(client_ctx);
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
};

TEST(TlsSession, HandshakeThenBytesBothWaysInPiecesThenClose) {
  Pair p;
  p.handshake();
  // Client to server: more than one record, read in small pieces.
  std::string sent(40000, 'a');
  for (size_t i = 0; i < sent.size(); ++i) sent[i] = char('a' + i % 26);
  size_t put = 0;
  std::string got;
  char buf[1000];
  for (int i = 0; i < 10000 && got.size() < sent.size(); ++i) {
    size_t n = 0;
    if (put < sent.size() && SSL_write_ex(p.client, sent.data() + put, sent.size() - put, &n) == 1) put += n;
    auto step = p.server->read(buf, sizeof buf, n);
    ASSERT_NE(step, TlsSession::Step::failed) << p.server->error();
    if (step == TlsSession::Step::done) got.append(buf, n);
  }
  EXPECT_EQ(got, sent);
  // Server to client, through partial writes when the socket is full.
  std::string reply(300000, 'z');
  size_t written = 0, read = 0;
  char cbuf[16384];
  for (int i = 0; i < 100000 && read < reply.size(); ++i) {
    size_t n = 0;
    if (written < reply.size()) {
      auto step = p.server->write(reply.data() + written, reply.size() - written, n);
      ASSERT_NE(step, TlsSession::Step::failed) << p.server->error();
      written += n;
    }
    if (SSL_read_ex(p.client, cbuf, sizeof cbuf, &n) == 1) read += n;
  }
  EXPECT_EQ(written, reply.size());
  EXPECT_EQ(read, reply.size());
  // The client says goodbye: the server sees the stream closed, not an error.
  SSL_shutdown(p.client);
  size_t n = 0;
  EXPECT_EQ(p.server->read(buf, sizeof buf, n), TlsSession::Step::closed);
}

TEST(TlsSession, APeerThatIsNotTlsFailsTheHandshakeWithAReason) {
  Pair p;
  std::string junk = "<stream:stream xmlns='jabber:client'>";  // plaintext where a ClientHello belongs
  ASSERT_EQ(write(p.fds[1], junk.data(), junk.size()), ssize_t(junk.size()));
  EXPECT_EQ(p.server->handshake(), TlsSession::Step::failed);
  EXPECT_FALSE(p.server->error().empty());
}

TEST(TlsSession, NothingToReadAsksToWaitAndAClosedSocketIsClosed) {
  Pair p;
  p.handshake();
  char buf[100];
  size_t n = 0;
  EXPECT_EQ(p.server->read(buf, sizeof buf, n), TlsSession::Step::want_read);
  EXPECT_FALSE(p.server->pending());
  close(p.fds[1]);
  p.fds[1] = -1;
  EXPECT_EQ(p.server->read(buf, sizeof buf, n), TlsSession::Step::closed);
}

}  // namespace
}  // namespace convene::xmpp
