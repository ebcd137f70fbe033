#include "pki/file_ops.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include "pki/catalog.h"
#include "pki/pem.h"
#include "pki/pki_test_support.h"
#include "pki/verify.h"
#include "util/files.h"
#include "util/testing.h"

namespace convene::pki {
namespace {

namespace fs = std::filesystem;
using testing::fixed_now;

unsigned mode_of(const fs::path& p) {
  struct stat st {};
  ::stat(p.c_str(), &st);
  return st.st_mode & 0777;
}

size_t file_count(const fs::path& dir) {
  return static_cast<size_t>(std::distance(fs::directory_iterator(dir), fs::directory_iterator()));
}

TEST(FileOps, KeyAndCsrWithPrivateKeyMode) {
  convene::testing::TempDir dir;
  auto st = create_key_and_csr(dir / "srv.key", dir / "srv.csr", testing::request_for("srv.example"));
  ASSERT_TRUE(st.ok()) << st.error().text();
  EXPECT_EQ(mode_of(dir / "srv.key"), 0600u);
  EXPECT_TRUE(load_private_key(dir / "srv.key").ok());
  EXPECT_TRUE(load_csr(dir / "srv.csr").ok());
  // A second run would destroy the key: refused, and nothing changes.
  auto before = read_file(dir / "srv.key").value();
  auto again = create_key_and_csr(dir / "srv.key", dir / "srv.csr", testing::request_for("srv.example"));
  ASSERT_FALSE(again.ok());
  EXPECT_NE(again.error().message.find("already exists"), std::string::npos);
  EXPECT_EQ(read_file(dir / "srv.key").value(), before);
}

TEST(FileOps, BadInputWritesNothing) {
  convene::testing::TempDir dir;
  CsrRequest bad;
  bad.subject.entries = {{"C", "XYZ"}, {"CN", "x"}};
  EXPECT_FALSE(create_key_and_csr(dir / "a.key", dir / "a.csr", bad).ok());
  EXPECT_FALSE(create_self_signed(dir / "b.key", dir / "b.crt", bad, {}, fixed_now()).ok());
  IssueOptions too_long;
  too_long.days = 0;
  EXPECT_FALSE(create_self_signed(dir / "c.key", dir / "c.crt", testing::request_for("c"), too_long, fixed_now()).ok());
  EXPECT_EQ(file_count(dir.path()), 0u);
}

TEST(FileOps, LabCaSignsRenewsAndBundles) {
  convene::testing::TempDir dir;
  IssueOptions ca;
  ca.is_ca = true;
  ca.days = 3650;
  ASSERT_TRUE(create_self_signed(dir / "ca.key", dir / "ca.crt", testing::request_for("Lab CA"), ca, fixed_now()).ok());
  ASSERT_TRUE(create_key_and_csr(dir / "db.key", dir / "db.csr",
                                 testing::request_for("db1", parse_alt_names("db1.example,10.0.0.9").value()))
                  .ok());

  // Expired first (start:-400 days:30), then renewed in place.
  auto st = sign_csr_file(dir / "db.csr", dir / "db.crt", dir / "ca.crt", dir / "ca.key", testing::window(-400, 30), fixed_now());
  ASSERT_TRUE(st.ok()) << st.error().text();
  EXPECT_EQ(verify_chain_files(dir / "db.crt", dir / "ca.crt", fixed_now()).problem, ChainProblem::kExpired);
  ASSERT_TRUE(sign_csr_file(dir / "db.csr", dir / "db.crt", dir / "ca.crt", dir / "ca.key", {}, fixed_now()).ok());
  EXPECT_TRUE(verify_chain_files(dir / "db.crt", dir / "ca.crt", fixed_now()).ok());
  EXPECT_TRUE(check_key_cert_files(dir / "db.key", dir / "db.crt").ok());
  auto info = read_certificate_info(load_certificates(dir / "db.crt")->front().get());
  EXPECT_EQ(to_string(info->sans), "DNS:db1.example, IP Address:10.0.0.9");

  // Intermediate CA + bundle output: the leaf file alone verifies with its own root.
  ASSERT_TRUE(create_key_and_csr(dir / "mid.key", dir / "mid.csr", testing::request_for("Mid CA")).ok());
  ASSERT_TRUE(sign_csr_file(dir / "mid.csr", dir / "mid.crt", dir / "ca.crt", dir / "ca.key", testing::window(0, 1000, true),
                            fixed_now(), /*append_ca_chain=*/true)
                  .ok());
  ASSERT_TRUE(create_key_and_csr(dir / "x.key", dir / "x.csr", testing::request_for("x")).ok());
  ASSERT_TRUE(sign_csr_file(dir / "x.csr", dir / "x.crt", dir / "mid.crt", dir / "mid.key", {}, fixed_now(), true).ok());
  EXPECT_EQ(load_certificates(dir / "x.crt")->size(), 3u);
  auto report = verify_chain_files(dir / "x.crt", "", fixed_now());
  EXPECT_TRUE(report.ok()) << report.reason;
  EXPECT_EQ(report.chain.size(), 3u);
}

TEST(FileOps, SignNeverOverwritesKeysOrTheCa) {
  convene::testing::TempDir dir;
  IssueOptions ca;
  ca.is_ca = true;
  ASSERT_TRUE(create_self_signed(dir / "ca.key", dir / "ca.crt", testing::request_for("Lab CA"), ca, fixed_now()).ok());
  ASSERT_TRUE(create_key_and_csr(dir / "a.key", dir / "a.csr", testing::request_for("a")).ok());
  auto key_before = read_file(dir / "a.key").value();
  EXPECT_FALSE(sign_csr_file(dir / "a.csr", dir / "a.key", dir / "ca.crt", dir / "ca.key", {}, fixed_now()).ok());
  EXPECT_FALSE(sign_csr_file(dir / "a.csr", dir / "ca.crt", dir / "ca.crt", dir / "ca.key", {}, fixed_now()).ok());
  EXPECT_FALSE(sign_csr_file(dir / "a.csr", dir / "a.csr", dir / "ca.crt", dir / "ca.key", {}, fixed_now()).ok());
  EXPECT_EQ(read_file(dir / "a.key").value(), key_before);
  // A CA key that is not the CA's: refused, nothing written.
  auto wrong = sign_csr_file(dir / "a.csr", dir / "a.crt", dir / "ca.crt", dir / "a.key", {}, fixed_now());
  ASSERT_FALSE(wrong.ok());
  EXPECT_NE(wrong.error().message.find("does not belong"), std::string::npos);
  EXPECT_FALSE(fs::exists(dir / "a.crt"));
  // A non-CA certificate cannot sign.
  ASSERT_TRUE(create_self_signed(dir / "leaf.key", dir / "leaf.crt", testing::request_for("leaf"), {}, fixed_now()).ok());
  auto not_ca = sign_csr_file(dir / "a.csr", dir / "a.crt", dir / "leaf.crt", dir / "leaf.key", {}, fixed_now());
  ASSERT_FALSE(not_ca.ok());
  EXPECT_NE(not_ca.error().message.find("is not a CA certificate"), std::string::npos);
}

TEST(Catalog, ListsPkiFilesWithExpiry) {
  convene::testing::TempDir dir;
  IssueOptions ca;
  ca.is_ca = true;
  ASSERT_TRUE(create_self_signed(dir / "ca.key", dir / "ca.crt", testing::request_for("Lab CA"), ca, fixed_now()).ok());
  ASSERT_TRUE(create_key_and_csr(dir / "old.key", dir / "old.csr", testing::request_for("old")).ok());
  ASSERT_TRUE(sign_csr_file(dir / "old.csr", dir / "old.cer", dir / "ca.crt", dir / "ca.key", testing::window(-400, 30), fixed_now()).ok());
  ASSERT_TRUE(write_file_atomic(dir / "backup.bak", "not pki").ok());
  ASSERT_TRUE(write_file_atomic(dir / "broken.crt", "garbage").ok());

  auto entries = catalog_directory(dir.path());
  ASSERT_EQ(entries.size(), 6u);  // ca.crt ca.key broken.crt old.cer old.csr old.key; not backup.bak
  std::string text = render_catalog(entries, fixed_now());
  EXPECT_NE(text.find("ca.crt     : CA certificate, O=Convene Test, CN=Lab CA, expires Jun  1 12:00:00 2026 GMT (365 days)"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("old.cer    : certificate, O=Convene Test, CN=old, EXPIRED"), std::string::npos) << text;
  EXPECT_NE(text.find("(370 days ago)"), std::string::npos);
  EXPECT_NE(text.find("old.key    : private key, RSA 2048 bit"), std::string::npos);
  EXPECT_NE(text.find("old.csr    : certificate request, O=Convene Test, CN=old"), std::string::npos);
  EXPECT_NE(text.find("broken.crt : unreadable, 'broken.crt' is not a PEM file"), std::string::npos);
  EXPECT_EQ(text.find("backup.bak"), std::string::npos);
  EXPECT_EQ(render_catalog({}, fixed_now()), "No keys, certificates or certificate requests in the file area\n");
}

}  // namespace
}  // namespace convene::pki
