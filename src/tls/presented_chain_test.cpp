#include "tls/presented_chain.h"

#include <gtest/gtest.h>

#include <fstream>

#include "tls/test_certs.h"
#include "util/files.h"
#include "util/testing.h"

namespace convene::tls {
namespace {

using convene::testing::TempDir;

std::string text(const std::filesystem::path& p) { return *read_file(p); }

TEST(VerifyAgainstBundle, CaOrPinnedLeafOrBoth) {
  TempDir dir;
  auto old_ca = testing::make_ca(dir.path(), "old-ca");
  auto new_ca = testing::make_ca(dir.path(), "new-ca");
  auto a = testing::make_leaf(dir.path(), "a", old_ca);
  auto b = testing::make_leaf(dir.path(), "b", new_ca);
  auto both = testing::concat_files(dir / "both.pem", {old_ca.cert, new_ca.cert});

  EXPECT_TRUE(verify_against_bundle(text(a.cert), old_ca.cert));
  EXPECT_TRUE(verify_against_bundle(text(a.cert), both));
  EXPECT_TRUE(verify_against_bundle(text(b.cert), both));
  EXPECT_TRUE(verify_against_bundle(text(a.cert), a.cert)) << "a pinned leaf ends the chain";

  auto refused = verify_against_bundle(text(a.cert), new_ca.cert);
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.error().message.find("unable to get local issuer certificate"), std::string::npos)
      << refused.error().message;
  EXPECT_NE(refused.error().message.find("/CN=a"), std::string::npos) << refused.error().message;
}

TEST(VerifyAgainstBundle, IntermediatesSentWithTheLeafCount) {
  TempDir dir;
  auto root = testing::make_ca(dir.path(), "root");
  // An intermediate CA signed by root, then a leaf signed by it.
  testing::TestCert inter{dir / "inter.key", dir / "inter.crt"};
  testing::run_openssl("req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=inter -keyout " +
                       (dir / "inter.key").string() + " -out " + (dir / "inter.csr").string());
  {
    std::ofstream(dir / "ca.ext") << "basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign\n";
  }
  testing::run_openssl("x509 -req -days 30 -in " + (dir / "inter.csr").string() + " -CA " + root.cert.string() +
                       " -CAkey " + root.key.string() + " -CAcreateserial -extfile " + (dir / "ca.ext").string() +
                       " -out " + inter.cert.string());
  auto leaf = testing::make_leaf(dir.path(), "leaf", inter);
  auto chain = testing::concat_files(dir / "chain.pem", {leaf.cert, inter.cert});
  EXPECT_TRUE(verify_against_bundle(text(chain), root.cert));
  EXPECT_FALSE(verify_against_bundle(text(leaf.cert), root.cert)) << "without the intermediate";
}

TEST(FirstSubject, NamesTheLeaf) {
  TempDir dir;
  auto ca = testing::make_ca(dir.path(), "ca");
  auto a = testing::make_leaf(dir.path(), "node7", ca);
  EXPECT_NE(first_subject(text(a.cert)).find("node7"), std::string::npos);
  EXPECT_EQ(first_subject("junk"), "(none)");
}

}  // namespace
}  // namespace convene::tls
