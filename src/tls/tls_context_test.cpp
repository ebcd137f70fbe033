#include "tls/tls_context.h"

#include <gtest/gtest.h>

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
