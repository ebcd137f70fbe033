#include "pki/inspect.h"

#include <gtest/gtest.h>

#include "pki/pki_test_support.h"
#include "util/files.h"
#include "util/strings.h"
#include "util/testing.h"

namespace convene::pki {
namespace {

using testing::fixed_now;

std::string inspect_text(const std::string& pem) {
  auto file = parse_pem(pem, "x.pem");
  EXPECT_TRUE(file.ok()) << (file.ok() ? "" : file.error().text());
  auto text = render_pem_file(*file, fixed_now());
  EXPECT_TRUE(text.ok());
  return text.ok() ? *text : "";
}

TEST(Inspect, TimesInSeedForm) {
  // 2015-03-09 08:47:17 UTC, the seed's Not Before.
  EXPECT_EQ(format_time(Time(std::chrono::seconds(1425890837))), "Mar  9 08:47:17 2015 GMT");
}

TEST(Inspect, CertificateHasSeedShape) {
  auto root = testing::make_root("Root");
  auto leaf = testing::issue(root, "VCSmRA.S.com", testing::window(0, 100), parse_alt_names("a.example,10.0.0.1").value());
  auto lines = split(inspect_text(certificate_pem(leaf.cert.get())), '\n');
  ASSERT_GE(lines.size(), 21u);
  EXPECT_EQ(lines[0], "File contains a PEM encoded certificate");
  EXPECT_EQ(lines[1], "Certificate:");
  EXPECT_EQ(lines[2], "  Data:");
  EXPECT_EQ(lines[3], "    Version: 3 (0x2)");
  EXPECT_EQ(lines[4], "    Serial Number:");
  EXPECT_EQ(lines[5].substr(0, 6), "      ");
  EXPECT_EQ(lines[5].size(), 6u + 16 * 3 - 1);  // 16 bytes "xx:xx:.."
  EXPECT_EQ(lines[6], "    Signature Algorithm: ecdsa-with-SHA256");
  EXPECT_EQ(lines[7], "    Issuer: O=Convene Test, CN=Root");
  EXPECT_EQ(lines[8], "    Validity:");
  EXPECT_EQ(lines[9], "      Not Before: Jun  1 12:00:00 2025 GMT");
  EXPECT_EQ(lines[10], "      Not After : Sep  9 12:00:00 2025 GMT");
  EXPECT_EQ(lines[11], "    Subject: O=Convene Test, CN=VCSmRA.S.com");
  EXPECT_EQ(lines[12], "    Subject Public Key Info:");
  EXPECT_EQ(lines[13], "      Public Key Algorithm: id-ecPublicKey");
  EXPECT_EQ(lines[14], "      Public-Key: (256 bit)");
  EXPECT_EQ(lines[15], "      ASN1 OID: prime256v1");
  EXPECT_EQ(lines[16], "    X509v3 Subject Alternative Name:");
  EXPECT_EQ(lines[17], "      DNS:a.example, IP Address:10.0.0.1");
  EXPECT_EQ(lines[18], "    X509v3 Basic Constraints:");
  EXPECT_EQ(lines[19], "      CA:FALSE");
  EXPECT_EQ(lines[20], "Certificate is valid (expires in 100 days)");
}

TEST(Inspect, ExpiredAndNotYetValid) {
  auto root = testing::make_root("Root");
  auto expired = testing::issue(root, "old", testing::window(-400, 30));
  EXPECT_NE(inspect_text(certificate_pem(expired.cert.get())).find("Certificate has EXPIRED (370 days ago)"),
            std::string::npos);
  auto future = testing::issue(root, "new", testing::window(5, 30));
  EXPECT_NE(inspect_text(certificate_pem(future.cert.get())).find("Certificate is NOT YET VALID (valid in 5 days)"),
            std::string::npos);
}

TEST(Inspect, RsaSeedStyleKeyLines) {
  auto key = generate_key();
  auto cert = make_self_signed(testing::request_for("rsa"), key->get(), {}, testing::fixed_now());
  ASSERT_TRUE(cert.ok());
  std::string text = inspect_text(certificate_pem(cert->get()));
  EXPECT_NE(text.find("    Signature Algorithm: sha256WithRSAEncryption\n"), std::string::npos);
  EXPECT_NE(text.find("      Public Key Algorithm: rsaEncryption\n      Public-Key: (2048 bit)\n"), std::string::npos);
  EXPECT_NE(text.find("Certificate is self-signed\n"), std::string::npos);
}

TEST(Inspect, BundleShowsEachCertificate) {
  auto root = testing::make_root("Root");
  auto mid = testing::issue(root, "Mid", testing::window(0, 1000, true));
  auto leaf = testing::issue(mid, "leaf");
  std::string text = inspect_text(certificate_pem(leaf.cert.get()) + certificate_pem(mid.cert.get()) +
                                  certificate_pem(root.cert.get()));
  EXPECT_EQ(text.rfind("File contains 3 PEM encoded certificates\nCertificate 1 of 3:\n", 0), 0u);
  EXPECT_NE(text.find("Certificate 2 of 3:\n"), std::string::npos);
  EXPECT_NE(text.find("Certificate 3 of 3:\n"), std::string::npos);
  EXPECT_NE(text.find("      CA:TRUE\n"), std::string::npos);
}

TEST(Inspect, KeyAndCsr) {
  auto key = generate_key(testing::fast_key());
  std::string text = inspect_text(private_key_pem(key->get()));
  EXPECT_EQ(text, "File contains a PEM encoded private key\nPrivate Key:\n  Algorithm: id-ecPublicKey\n"
                  "  Private-Key: (256 bit)\n  ASN1 OID: prime256v1\n");
  auto csr = make_csr(testing::request_for("c.example", parse_alt_names("c.example").value()), key->get());
  text = inspect_text(csr_pem(csr->get()));
  EXPECT_NE(text.find("File contains a PEM encoded certificate request\nCertificate Request:\n"), std::string::npos);
  EXPECT_NE(text.find("    Subject: O=Convene Test, CN=c.example\n"), std::string::npos);
  EXPECT_NE(text.find("      DNS:c.example\n"), std::string::npos);
  EXPECT_NE(text.find("Request signature is valid"), std::string::npos);
}

TEST(Inspect, CombinedKeyAndCertificateSaysWhetherTheyMatch) {
  auto root = testing::make_root("Root");
  auto leaf = testing::issue(root, "leaf");
  EXPECT_NE(inspect_text(certificate_pem(leaf.cert.get()) + private_key_pem(leaf.key.get())).find("Private key matches"),
            std::string::npos);
  EXPECT_NE(inspect_text(certificate_pem(leaf.cert.get()) + private_key_pem(root.key.get())).find("does NOT match"),
            std::string::npos);
}

TEST(Inspect, NotPemFile) {
  convene::testing::TempDir dir;
  ASSERT_TRUE(write_file_atomic(dir / "readme.txt", "just text\n").ok());
  auto r = inspect_file(dir / "readme.txt", fixed_now());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message, "'readme.txt' is not a PEM file");
}

}  // namespace
}  // namespace convene::pki
