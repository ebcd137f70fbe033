#include "tls/tls_session.h"

#include <gtest/gtest.h>
#include <openssl/bio.h>
#include <openssl/ssl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <string>
#include <vector>

#include "pki/pki_test_support.h"

namespace convene::tls {
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

  // own_records: the server context is prepared, so TLS 1.3 sessions leave OpenSSL
  // after the handshake (tls13_records.h); max_version caps the client's TLS.
  explicit Pair(bool own_records = true, int max_version = 0) {
    signal(SIGPIPE, SIG_IGN);  // as in convened
    if (own_records) TlsSession::prepare_context(server_ctx);
    if (max_version) SSL_CTX_set_max_proto_version(client_ctx, max_version);
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

// The same behaviour whichever record layer runs the session after the handshake.
class BothRecordLayers : public ::testing::TestWithParam<bool> {};
INSTANTIATE_TEST_SUITE_P(TlsSession, BothRecordLayers, ::testing::Values(true, false),
                         [](const auto& info) { return info.param ? "own_records" : "openssl"; });

TEST_P(BothRecordLayers, HandshakeThenBytesBothWaysInPiecesThenClose) {
  Pair p(GetParam());
  p.handshake();
  EXPECT_EQ(p.server->own_records(), GetParam());
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

TEST_P(BothRecordLayers, NothingToReadAsksToWaitAndAClosedSocketIsClosed) {
  Pair p(GetParam());
  p.handshake();
  char buf[100];
  size_t n = 0;
  EXPECT_EQ(p.server->read(buf, sizeof buf, n), TlsSession::Step::want_read);
  EXPECT_FALSE(p.server->pending());
  close(p.fds[1]);
  p.fds[1] = -1;
  EXPECT_EQ(p.server->read(buf, sizeof buf, n), TlsSession::Step::closed);
}

TEST_P(BothRecordLayers, IdleReleaseThenTrafficBothWays) {
  Pair p(GetParam());
  p.handshake();
  p.exchange("<presence/>", "<message>one</message>");
  p.server->release_idle_memory();
  p.exchange("<iq type='get' id='1'/>", std::string(50000, 'r'));
  p.server->release_idle_memory();
  p.exchange(std::string(70000, 'u'), "<iq type='result' id='1'/>");
}

TEST(TlsSession, KeyUpdatesFromTheClientAreFollowedAndAnswered) {
  Pair p;
  p.handshake();
  ASSERT_TRUE(p.server->own_records());
  p.exchange("before", "before, back");
  // The client moves to new keys and asks the server to move too (update_requested):
  // the client reads the reply only if the server answered and switched.
  ASSERT_EQ(SSL_key_update(p.client, SSL_KEY_UPDATE_REQUESTED), 1);
  p.exchange("after one update", "the server's answer under its new keys");
  ASSERT_EQ(SSL_key_update(p.client, SSL_KEY_UPDATE_NOT_REQUESTED), 1);
  p.exchange("after two", "still fine");
}

TEST(TlsSession, TlsOneTwoStaysWithOpenSsl) {
  Pair p(true, TLS1_2_VERSION);
  p.handshake();
  EXPECT_FALSE(p.server->own_records());
  p.exchange("<presence/>", "<message/>");
}

TEST(TlsSession, RecordsArrivingAByteAtATimeThenManyAtOnce) {
  Pair p;
  p.handshake();
  std::vector<std::string> pieces;
  std::string sent;
  for (int i = 0; i < 30; ++i) {
    pieces.push_back("<message id='" + std::to_string(i) + "'/>");
    sent += pieces.back();
  }
  std::string wire = p.client_records(pieces);
  std::string got;
  char buf[64];
  size_t i = 0;
  for (; i < wire.size() / 2; ++i) {  // the first half a byte at a time
    ASSERT_EQ(write(p.fds[1], wire.data() + i, 1), 1);
    size_t n = 0;
    auto step = p.server->read(buf, sizeof buf, n);
    ASSERT_TRUE(step == TlsSession::Step::done || step == TlsSession::Step::want_read) << p.server->error();
    if (step == TlsSession::Step::done) got.append(buf, n);
  }
  // The rest at once, read through a small buffer: pending() says when more is inside.
  ASSERT_EQ(write(p.fds[1], wire.data() + i, wire.size() - i), ssize_t(wire.size() - i));
  size_t n = 0;
  ASSERT_EQ(p.server->read(buf, sizeof buf, n), TlsSession::Step::done) << p.server->error();
  got.append(buf, n);
  while (p.server->pending()) {
    ASSERT_EQ(p.server->read(buf, sizeof buf, n), TlsSession::Step::done) << p.server->error();
    got.append(buf, n);
  }
  EXPECT_EQ(got, sent);
  EXPECT_EQ(p.server->read(buf, sizeof buf, n), TlsSession::Step::want_read);
}

TEST(TlsSession, ATamperedRecordFailsWithAReason) {
  Pair p;
  p.handshake();
  std::string wire = p.client_records({"<presence/>"});
  wire[8] ^= 1;  // one bit of the ciphertext
  ASSERT_EQ(write(p.fds[1], wire.data(), wire.size()), ssize_t(wire.size()));
  char buf[100];
  size_t n = 0;
  EXPECT_EQ(p.server->read(buf, sizeof buf, n), TlsSession::Step::failed);
  EXPECT_NE(p.server->error().find("integrity"), std::string::npos) << p.server->error();
}

TEST(TlsSession, CloseNotifyFromTheServerReachesTheClient) {
  Pair p;
  p.handshake();
  p.exchange("hello", "bye");
  p.server->shutdown();
  char buf[16];
  size_t n = 0;
  EXPECT_EQ(SSL_read_ex(p.client, buf, sizeof buf, &n), 0);
  EXPECT_EQ(SSL_get_error(p.client, 0), SSL_ERROR_ZERO_RETURN);
}

}  // namespace
}  // namespace convene::tls
