#include "pki/verify.h"

#include <gtest/gtest.h>

#include "pki/pem.h"
#include "pki/pki_test_support.h"
#include "util/files.h"
#include "util/testing.h"

namespace convene::pki {
namespace {

using testing::fixed_now;
using testing::list_of;
using testing::window;

struct Chain {
  testing::Issued root = testing::make_root("Root CA");
  testing::Issued mid = testing::issue(root, "Intermediate CA", window(-1, 1000, true));
};

TEST(Verify, LeafWithIntermediateInBundleAgainstRoot) {
  Chain c;
  auto leaf = testing::issue(c.mid, "xmpp.example", window(-1, 365));
  auto report = verify_chain(list_of({&leaf, &c.mid}), list_of({&c.root}), fixed_now());
  ASSERT_TRUE(report.ok()) << report.reason;
  ASSERT_EQ(report.chain.size(), 3u);
  EXPECT_EQ(report.chain[0].subject.get("CN"), "xmpp.example");
  EXPECT_EQ(report.chain[1].subject.get("CN"), "Intermediate CA");
  EXPECT_EQ(report.chain[2].subject.get("CN"), "Root CA");
  EXPECT_TRUE(report.status().ok());
}

TEST(Verify, IntermediateMayComeFromTheTrustBundle) {
  Chain c;
  auto leaf = testing::issue(c.mid, "db1", window(-1, 365));
  EXPECT_TRUE(verify_chain(list_of({&leaf}), list_of({&c.mid, &c.root}), fixed_now()).ok());
}

TEST(Verify, MissingIntermediateIsUnknownIssuer) {
  Chain c;
  auto leaf = testing::issue(c.mid, "db1", window(-1, 365));
  auto report = verify_chain(list_of({&leaf}), list_of({&c.root}), fixed_now());
  EXPECT_EQ(report.problem, ChainProblem::kUnknownIssuer);
  EXPECT_NE(report.reason.find("unknown CA"), std::string::npos);
  EXPECT_NE(report.reason.find("Intermediate CA"), std::string::npos);
}

TEST(Verify, WrongCa) {
  Chain c;
  auto other = testing::make_root("Other CA");
  auto leaf = testing::issue(c.root, "db1", window(-1, 365));
  auto report = verify_chain(list_of({&leaf}), list_of({&other}), fixed_now());
  EXPECT_EQ(report.problem, ChainProblem::kUnknownIssuer);
  EXPECT_FALSE(report.status().ok());
  EXPECT_FALSE(report.status().error().hint.empty());
}

TEST(Verify, ExpiredLeaf) {
  Chain c;
  auto leaf = testing::issue(c.root, "old", window(-400, 30));
  auto report = verify_chain(list_of({&leaf}), list_of({&c.root}), fixed_now());
  EXPECT_EQ(report.problem, ChainProblem::kExpired);
  EXPECT_NE(report.reason.find("CN=old' has EXPIRED"), std::string::npos);
  EXPECT_NE(report.reason.find("370 days ago"), std::string::npos);
  ASSERT_TRUE(report.culprit.has_value());
  EXPECT_EQ(report.culprit->subject.get("CN"), "old");
}

TEST(Verify, ExpiredIntermediateIsNamed) {
  auto root = testing::make_root("Root CA", fixed_now(), 3650, -1000);
  // Issued long ago (when it was valid), checked today.
  auto past = Time(fixed_now() - std::chrono::hours(24 * 500));
  auto mid = testing::issue(root, "Old Intermediate", window(0, 100, true), {}, past);
  auto leaf = testing::issue(mid, "leaf", window(0, 1000), {}, past);  // itself still valid
  auto report = verify_chain(list_of({&leaf, &mid}), list_of({&root}), fixed_now());
  EXPECT_EQ(report.problem, ChainProblem::kExpired);
  ASSERT_TRUE(report.culprit.has_value());
  EXPECT_EQ(report.culprit->subject.get("CN"), "Old Intermediate");
}

TEST(Verify, NotYetValid) {
  Chain c;
  auto leaf = testing::issue(c.root, "future", window(10, 30));
  auto report = verify_chain(list_of({&leaf}), list_of({&c.root}), fixed_now());
  EXPECT_EQ(report.problem, ChainProblem::kNotYetValid);
  EXPECT_NE(report.reason.find("NOT YET VALID"), std::string::npos);
}

TEST(Verify, LeafUsedAsIssuerIsRejected) {
  Chain c;
  auto leaf = testing::issue(c.root, "not-a-ca", window(-1, 365));
  // sign_csr refuses a non-CA issuer, so forge one with a raw signature.
  auto key = generate_key(testing::fast_key());
  auto csr = make_csr(testing::request_for("victim"), key->get());
  EXPECT_FALSE(sign_csr(csr->get(), leaf.cert.get(), leaf.key.get(), {}, fixed_now()).ok());
}

TEST(Verify, SelfContainedBundleRootLast) {
  Chain c;
  auto leaf = testing::issue(c.mid, "leaf", window(-1, 365));
  EXPECT_TRUE(verify_bundle(list_of({&leaf, &c.mid, &c.root}), fixed_now()).ok());
  auto no_root = verify_bundle(list_of({&leaf, &c.mid}), fixed_now());
  EXPECT_EQ(no_root.problem, ChainProblem::kUnknownIssuer);
  EXPECT_NE(no_root.reason.find("not a root"), std::string::npos);
  EXPECT_TRUE(verify_bundle(list_of({&c.root}), fixed_now()).ok());  // a self-signed certificate alone
}

TEST(Verify, UntrustedRootInBundle) {
  Chain c;
  auto other = testing::make_root("Other CA");
  auto leaf = testing::issue(c.root, "leaf", window(-1, 365));
  auto report = verify_chain(list_of({&leaf, &c.root}), list_of({&other}), fixed_now());
  EXPECT_EQ(report.problem, ChainProblem::kUntrustedRoot);
}

TEST(Verify, HostAndPurpose) {
  Chain c;
  auto leaf = testing::issue(c.root, "xmpp.example", window(-1, 365), parse_alt_names("xmpp.example,10.0.0.7").value());
  VerifyOptions o;
  o.purpose = VerifyOptions::Purpose::kTlsServer;
  o.host = "xmpp.example";
  EXPECT_TRUE(verify_chain(list_of({&leaf}), list_of({&c.root}), fixed_now(), o).ok());
  o.host = "10.0.0.7";
  EXPECT_TRUE(verify_chain(list_of({&leaf}), list_of({&c.root}), fixed_now(), o).ok());
  o.purpose = VerifyOptions::Purpose::kTlsClient;
  EXPECT_TRUE(verify_chain(list_of({&leaf}), list_of({&c.root}), fixed_now(), o).ok());
  o.host = "other.example";
  EXPECT_EQ(verify_chain(list_of({&leaf}), list_of({&c.root}), fixed_now(), o).problem, ChainProblem::kHostMismatch);
}

TEST(Verify, Files) {
  convene::testing::TempDir dir;
  Chain c;
  auto leaf = testing::issue(c.mid, "leaf", window(-1, 365));
  ASSERT_TRUE(write_file_atomic(dir / "leaf.crt", certificate_pem(leaf.cert.get()) + certificate_pem(c.mid.cert.get())).ok());
  ASSERT_TRUE(write_file_atomic(dir / "ca.crt", certificate_pem(c.root.cert.get())).ok());
  ASSERT_TRUE(write_file_atomic(dir / "notes.txt", "hello").ok());
  EXPECT_TRUE(verify_chain_files(dir / "leaf.crt", dir / "ca.crt", fixed_now()).ok());
  auto bad = verify_chain_files(dir / "leaf.crt", dir / "notes.txt", fixed_now());
  EXPECT_EQ(bad.problem, ChainProblem::kUnreadable);
  EXPECT_EQ(bad.status().error().message, "'notes.txt' is not a PEM file");
  EXPECT_EQ(verify_chain(CertificateList{}, CertificateList{}, fixed_now()).problem, ChainProblem::kEmpty);
}

}  // namespace
}  // namespace convene::pki
