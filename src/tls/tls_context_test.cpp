#include "tls/tls_context.h"

#include <gtest/gtest.h>
#include <openssl/ssl.h>

#include <fstream>

#include "tls/test_certs.h"
#include "tls/tls_context_source.h"
#include "util/testing.h"

namespace convene::tls {
namespace {

using convene::testing::TempDir;

TEST(TlsContext, BuildsFromCaSignedLeaf) {
  TempDir dir;
  auto ca = testing::make_ca(dir.path(), "ca");
  auto leaf = testing::make_leaf(dir.path(), "node1", ca);
  auto ctx = make_mutual_tls_context({leaf.key, leaf.cert, ca.cert});
  ASSERT_TRUE(ctx) << ctx.error().text();
}

TEST(TlsContext, SaysWhatIsWrong) {
  TempDir dir;
  auto ca = testing::make_ca(dir.path(), "ca");
  auto a = testing::make_leaf(dir.path(), "a", ca);
  auto b = testing::make_leaf(dir.path(), "b", ca);
  auto missing = make_mutual_tls_context({dir / "nope.key", a.cert, ca.cert});
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().message.find("not found"), std::string::npos) << missing.error().message;

  auto mismatch = make_mutual_tls_context({b.key, a.cert, ca.cert});
  ASSERT_FALSE(mismatch);
  EXPECT_NE(mismatch.error().message.find("does not match"), std::string::npos);

  std::ofstream(dir / "junk.pem") << "hello\n";
  auto not_pem = make_mutual_tls_context({a.key, dir / "junk.pem", ca.cert});
  ASSERT_FALSE(not_pem);
  EXPECT_NE(not_pem.error().message.find("no PEM certificate"), std::string::npos);
  auto bad_key = make_mutual_tls_context({dir / "junk.pem", a.cert, ca.cert});
  ASSERT_FALSE(bad_key);
  EXPECT_NE(bad_key.error().message.find("no PEM private key"), std::string::npos);
  auto bad_trust = make_mutual_tls_context({a.key, a.cert, dir / "junk.pem"});
  ASSERT_FALSE(bad_trust);
  EXPECT_NE(bad_trust.error().message.find("trust bundle"), std::string::npos);
}

TEST(TlsContext, EachPurposeKeepsItsOptions) {
  TempDir dir;
  auto ca = testing::make_ca(dir.path(), "ca");
  auto leaf = testing::make_leaf(dir.path(), "node1", ca);

  // Cluster links: both roles, peers verified, no resumption.
  auto mutual = make_mutual_tls_context({leaf.key, leaf.cert, ca.cert});
  ASSERT_TRUE(mutual) << mutual.error().text();
  SSL_CTX* m = (*mutual)->native_handle();
  EXPECT_EQ(SSL_CTX_get_verify_mode(m), SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT);
  EXPECT_EQ(SSL_CTX_get_min_proto_version(m), TLS1_2_VERSION);
  const uint64_t mutual_options = SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_TICKET;
  EXPECT_EQ(SSL_CTX_get_options(m) & mutual_options, mutual_options);
  EXPECT_EQ(SSL_CTX_get_session_cache_mode(m), SSL_SESS_CACHE_OFF);
  EXPECT_EQ(SSL_CTX_get_keylog_callback(m), nullptr);

  // XMPP listeners: no client certificate asked, TLS 1.0/1.1 off, no tickets at all,
  // idle buffers released, secrets kept for the record layer, the bundle sent as chain.
  auto clients = make_tls_context({Purpose::xmpp_clients, leaf.key, leaf.cert, {}, ca.cert});
  ASSERT_TRUE(clients) << clients.error().text();
  SSL_CTX* c = (*clients)->native_handle();
  EXPECT_EQ(SSL_CTX_get_verify_mode(c), SSL_VERIFY_NONE);
  const uint64_t client_options = SSL_OP_ALL | SSL_OP_NO_SSLv3 | SSL_OP_NO_TLSv1 | SSL_OP_NO_TLSv1_1 | SSL_OP_NO_TICKET;
  EXPECT_EQ(SSL_CTX_get_options(c) & client_options, client_options);
  EXPECT_EQ(SSL_CTX_get_options(c) & SSL_OP_NO_RENEGOTIATION, 0u);
  EXPECT_EQ(SSL_CTX_get_session_cache_mode(c), SSL_SESS_CACHE_OFF);
  EXPECT_EQ(SSL_CTX_get_num_tickets(c), 0u);
  EXPECT_NE(SSL_CTX_get_mode(c) & SSL_MODE_RELEASE_BUFFERS, 0u);
  EXPECT_NE(SSL_CTX_get_keylog_callback(c), nullptr);
  STACK_OF(X509)* chain = nullptr;
  ASSERT_EQ(SSL_CTX_get0_chain_certs(c, &chain), 1);
  EXPECT_EQ(sk_X509_num(chain), 1);

  auto no_bundle = make_tls_context({Purpose::xmpp_clients, leaf.key, leaf.cert, {}, dir / "nope.pem"});
  ASSERT_FALSE(no_bundle);
  EXPECT_NE(no_bundle.error().message.find("cannot read the bundle"), std::string::npos);
}

TEST(TlsContextSource, ReloadKeepsOldContextOnBadFiles) {
  TempDir dir;
  auto ca = testing::make_ca(dir.path(), "ca");
  auto a = testing::make_leaf(dir.path(), "a", ca);
  auto b = testing::make_leaf(dir.path(), "b", ca);
  auto src = TlsContextSource::open({a.key, a.cert, ca.cert});
  ASSERT_TRUE(src) << src.error().text();
  auto first = (*src)->current();
  EXPECT_FALSE((*src)->replace({b.key, a.cert, ca.cert}));
  EXPECT_EQ((*src)->current(), first);
  EXPECT_EQ((*src)->generation(), 1u);
  EXPECT_TRUE((*src)->replace({b.key, b.cert, ca.cert}));
  EXPECT_NE((*src)->current(), first);
  EXPECT_EQ((*src)->generation(), 2u);
}

}  // namespace
}  // namespace convene::tls
