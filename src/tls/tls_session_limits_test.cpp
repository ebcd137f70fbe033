// What a hostile or long-lived client can make the record layer do after the
// handshake: KeyUpdate floods (RFC 8446 §5.1, §4.6.3 and a budget), the AEAD usage
// limit per key (§5.5), and a KeyUpdate crossing a half-sent write.
#include <gtest/gtest.h>
#include <openssl/ssl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "tls/tls_session.h"
#include "tls/tls_session_pair.h"

namespace convene::tls {
namespace {

using testing::Pair;

const std::string kKeyUpdateRequested("\x18\x00\x00\x01\x01", 5);

std::string read_all(int fd) {
  std::string got;
  char buf[65536];
  for (ssize_t n; (n = ::read(fd, buf, sizeof buf)) > 0;) got.append(buf, size_t(n));
  return got;
}

// `count` records of one KeyUpdate each, asking for ours, the client moving to its
// next key after each (as §5.1 allows).
std::string key_update_records(Tls13Records& client, int count) {
  std::string wire;
  for (int i = 0; i < count; ++i) {
    EXPECT_TRUE(client.seal(Tls13Records::kHandshake, kKeyUpdateRequested.data(), 5, wire));
    EXPECT_TRUE(client.update_write_key());
  }
  return wire;
}

// The records in `wire`, opened with the client's keys (following the server's
// KeyUpdates): {content type, content} each.
std::vector<std::pair<uint8_t, std::string>> open_all(Tls13Records& client, std::string_view wire) {
  std::vector<std::pair<uint8_t, std::string>> out;
  char plain[Tls13Records::kMaxCiphertext];
  for (;;) {
    size_t used = 0, size = 0;
    uint8_t type = 0;
    if (client.open(wire, used, type, plain, size) != Tls13Records::Open::record) return out;
    wire.remove_prefix(used);
    out.emplace_back(type, std::string(plain, size));
    if (type == Tls13Records::kHandshake && size == 5 && plain[0] == 24) {
      EXPECT_TRUE(client.update_read_key());
    }
  }
}

TEST(TlsSessionLimits, AKeyUpdateMustEndItsRecordAndTheClientGetsUnexpectedMessage) {
  Pair p;
  p.handshake();
  auto client = p.hostile_client();
  ASSERT_TRUE(client);
  // Thousands of KeyUpdates packed into one record, the client reading nothing.
  std::string packed;
  while (packed.size() + 5 <= Tls13Records::kMaxPlaintext) packed += kKeyUpdateRequested;
  std::string wire;
  ASSERT_TRUE(client->seal(Tls13Records::kHandshake, packed.data(), packed.size(), wire));
  ASSERT_EQ(write(p.fds[1], wire.data(), wire.size()), ssize_t(wire.size()));
  char buf[100];
  size_t n = 0;
  ASSERT_EQ(p.server->read(buf, sizeof buf, n), TlsSession::Step::failed);
  EXPECT_NE(p.server->error().find("KeyUpdate must end its record"), std::string::npos) << p.server->error();
  EXPECT_FALSE(p.server->wants_write());  // no answer queued, let alone thousands
  p.server->shutdown();
  auto records = open_all(*client, read_all(p.fds[1]));
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0].first, Tls13Records::kAlert);
  EXPECT_EQ(records[0].second, std::string("\x02\x0a", 2));  // fatal, unexpected_message
}

TEST(TlsSessionLimits, AKeyUpdateFloodIsCutOffByTheBudgetWithNothingQueued) {
  Pair p(true, 0, TlsSession::Options{KeyUpdateBudget{8, std::chrono::seconds(3600)}});
  p.handshake();
  auto client = p.hostile_client();
  ASSERT_TRUE(client);
  // 1,000 records of one KeyUpdate each, never reading.
  std::string wire = key_update_records(*client, 1000);
  size_t put = 0;
  TlsSession::Step step = TlsSession::Step::want_read;
  char buf[100];
  for (int i = 0; i < 1000 && step == TlsSession::Step::want_read; ++i) {
    ssize_t w = write(p.fds[1], wire.data() + put, wire.size() - put);
    if (w > 0) put += size_t(w);
    size_t n = 0;
    step = p.server->read(buf, sizeof buf, n);
    // Many requests while the client does not read: at most one answer waits.
    ASSERT_LE(p.server->queued_bytes(), 5 + 1 + Tls13Records::kHeader + Tls13Records::kTag);
  }
  ASSERT_EQ(step, TlsSession::Step::failed);
  EXPECT_NE(p.server->error().find("more than 8 TLS KeyUpdates in 3600 s"), std::string::npos) << p.server->error();
}

TEST(TlsSessionLimits, ManyRequestsWhileSilentGetOneKeyUpdate) {
  Pair p;
  p.handshake();
  auto client = p.hostile_client();
  ASSERT_TRUE(client);
  std::string wire = key_update_records(*client, 5);
  ASSERT_TRUE(client->seal(Tls13Records::kApplicationData, "<presence/>", 11, wire));
  ASSERT_EQ(write(p.fds[1], wire.data(), wire.size()), ssize_t(wire.size()));
  char buf[100];
  size_t n = 0;
  ASSERT_EQ(p.server->read(buf, sizeof buf, n), TlsSession::Step::done) << p.server->error();
  EXPECT_EQ(std::string(buf, n), "<presence/>");
  EXPECT_TRUE(p.server->wants_write());  // ours is owed, even with nothing of the caller's to send
  ASSERT_EQ(p.server->write(nullptr, 0, n), TlsSession::Step::done) << p.server->error();
  ASSERT_EQ(p.server->write("<message/>", 10, n), TlsSession::Step::done) << p.server->error();
  EXPECT_FALSE(p.server->wants_write());
  auto records = open_all(*client, read_all(p.fds[1]));
  ASSERT_EQ(records.size(), 2u);
  EXPECT_EQ(records[0].first, Tls13Records::kHandshake);
  EXPECT_EQ(records[0].second, std::string("\x18\x00\x00\x01\x00", 5));  // update_not_requested
  EXPECT_EQ(records[1].first, Tls13Records::kApplicationData);
  EXPECT_EQ(records[1].second, "<message/>");
}

TEST(TlsSessionLimits, AKeyUpdateAnsweredWhileAWriteIsHalfSentSendsItsBytesOnce) {
  Pair p;
  p.handshake();
  int small = 4096;
  ASSERT_EQ(setsockopt(p.fds[0], SOL_SOCKET, SO_SNDBUF, &small, sizeof small), 0);
  std::string reply;
  for (int i = 0; reply.size() < 40000; ++i) reply += "<message id='" + std::to_string(i) + "'/>";
  size_t written = 0, n = 0;
  ASSERT_EQ(p.server->write(reply.data(), reply.size(), n), TlsSession::Step::want_write);
  std::string back;
  char cbuf[16384];
  // The client reads what arrived and asks for a KeyUpdate, again and again, while
  // the server's write waits; then the server retries its write as the contract says.
  for (int round = 0; round < 20; ++round) {
    while (SSL_read_ex(p.client, cbuf, sizeof cbuf, &n) == 1) back.append(cbuf, n);
    ASSERT_EQ(SSL_key_update(p.client, SSL_KEY_UPDATE_REQUESTED), 1);
    ASSERT_EQ(SSL_write_ex(p.client, "<r/>", 4, &n), 1);
    char buf[100];
    auto step = p.server->read(buf, sizeof buf, n);
    ASSERT_EQ(step, TlsSession::Step::done) << p.server->error();
  }
  // The caller goes on until the session says all its bytes are out.
  for (int i = 0; i < 100000 && (written < reply.size() || back.size() < reply.size()); ++i) {
    if (written < reply.size()) {
      auto step = p.server->write(reply.data() + written, reply.size() - written, n);
      ASSERT_NE(step, TlsSession::Step::failed) << p.server->error();
      written += n;
    } else if (p.server->wants_write()) {
      ASSERT_NE(p.server->write(nullptr, 0, n), TlsSession::Step::failed) << p.server->error();
    }
    if (SSL_read_ex(p.client, cbuf, sizeof cbuf, &n) == 1) back.append(cbuf, n);
  }
  while (SSL_read_ex(p.client, cbuf, sizeof cbuf, &n) == 1) back.append(cbuf, n);
  EXPECT_EQ(back.size(), reply.size());
  EXPECT_TRUE(back == reply) << "the bytes arrived in another order";
}

TEST(TlsSessionLimits, TheServerRenewsItsKeyBeforeTheUsageLimit) {
  TlsSession::Options options;
  options.records_per_key = 8;
  Pair p(true, 0, options);
  p.handshake();
  // 30 records from the server, one per write: without a KeyUpdate of its own at
  // half the limit, the ninth could not be sealed.
  std::string sent, back;
  char cbuf[1000];
  for (int i = 0; i < 30; ++i) {
    std::string m = "<message id='" + std::to_string(i) + "'/>";
    size_t n = 0;
    ASSERT_EQ(p.server->write(m.data(), m.size(), n), TlsSession::Step::done) << p.server->error();
    ASSERT_EQ(n, m.size());
    sent += m;
    while (SSL_read_ex(p.client, cbuf, sizeof cbuf, &n) == 1) back.append(cbuf, n);
  }
  EXPECT_EQ(back, sent);
}

TEST(TlsSessionLimits, TheClientIsAskedToRenewItsKeyAndRefusedBeyondTheLimit) {
  TlsSession::Options options;
  options.records_per_key = 8;
  {
    // The server's next record asks the client, whose key is worn, to renew it; the
    // OpenSSL client does, and sends on.
    Pair p(true, 0, options);
    p.handshake();
    p.exchange("<a/><b/>", "");
    for (int i = 0; i < 4; ++i) p.exchange("<c/>", "");
    p.exchange("<d/>", "<e/>");
    for (int i = 0; i < 20; ++i) p.exchange("<f/>", "<g/>");
  }
  // A client that sends on under its old key past the limit is refused.
  Pair p(true, 0, options);
  p.handshake();
  auto client = p.hostile_client();
  ASSERT_TRUE(client);
  std::string wire;
  for (int i = 0; i < 9; ++i) ASSERT_TRUE(client->seal(Tls13Records::kApplicationData, "<c/>", 4, wire));
  ASSERT_EQ(write(p.fds[1], wire.data(), wire.size()), ssize_t(wire.size()));
  char buf[4];
  size_t n = 0;
  TlsSession::Step step;
  while ((step = p.server->read(buf, sizeof buf, n)) == TlsSession::Step::done) EXPECT_EQ(std::string(buf, n), "<c/>");
  ASSERT_EQ(step, TlsSession::Step::failed);
  EXPECT_NE(p.server->error().find("usage limit"), std::string::npos) << p.server->error();
}

TEST(TlsSessionLimits, WireBytesCountRecordsThatCarryNoData) {
  Pair p;
  p.handshake();
  uint64_t before = p.server->wire_bytes_read();
  EXPECT_GT(before, 0u);  // the handshake's
  auto client = p.hostile_client();
  ASSERT_TRUE(client);
  std::string wire;
  const char kKeyUpdate[5] = {24, 0, 0, 1, 0};
  ASSERT_TRUE(client->seal(Tls13Records::kHandshake, kKeyUpdate, 5, wire));
  ASSERT_EQ(write(p.fds[1], wire.data(), wire.size()), ssize_t(wire.size()));
  char buf[100];
  size_t n = 0;
  EXPECT_EQ(p.server->read(buf, sizeof buf, n), TlsSession::Step::want_read);
  EXPECT_EQ(p.server->wire_bytes_read() - before, wire.size());
}

}  // namespace
}  // namespace convene::tls
