#include "tls/tls_session.h"

#include <gtest/gtest.h>
#include <openssl/ssl.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "tls/tls_session_pair.h"

namespace convene::tls {
namespace {

using testing::Pair;

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
