#include "pki/pem.h"

#include <gtest/gtest.h>

#include <openssl/pem.h>

#include "pki/pki_test_support.h"
#include "util/files.h"
#include "util/testing.h"

namespace convene::pki {
namespace {

TEST(Pem, NotPemSaysSo) {
  auto r = parse_pem("hello, this is a text file\n", "notes.txt");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message, "'notes.txt' is not a PEM file");
  EXPECT_FALSE(r.error().hint.empty());
}

TEST(Pem, DerGetsAConversionHint) {
  auto root = testing::make_root("R");
  unsigned char* der = nullptr;
  int n = i2d_X509(root.cert.get(), &der);
  std::string bytes(reinterpret_cast<char*>(der), static_cast<size_t>(n));
  OPENSSL_free(der);
  auto r = parse_pem(bytes, "ca.der");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("DER"), std::string::npos);
}

TEST(Pem, TruncatedAndDamaged) {
  auto root = testing::make_root("R");
  std::string pem = certificate_pem(root.cert.get());
  auto truncated = parse_pem(pem.substr(0, pem.size() / 2), "half.crt");
  ASSERT_FALSE(truncated.ok());
  EXPECT_NE(truncated.error().message.find("truncated"), std::string::npos);

  std::string damaged = pem;
  damaged[40] = damaged[40] == 'A' ? 'B' : 'A';
  damaged[41] = '!';
  EXPECT_FALSE(parse_pem(damaged, "bad.crt").ok());
}

TEST(Pem, BundleWithTextAroundAndMixedContent) {
  auto root = testing::make_root("Root");
  auto mid = testing::issue(root, "Intermediate", testing::window(0, 100, true));
  auto leaf = testing::issue(mid, "leaf.example");
  std::string text = "Bag Attributes\n  friendlyName: leaf\n" + certificate_pem(leaf.cert.get()) + "subject=...\n" +
                     certificate_pem(mid.cert.get()) + certificate_pem(root.cert.get()) + private_key_pem(leaf.key.get());
  auto r = parse_pem(text, "bundle.pem");
  ASSERT_TRUE(r.ok()) << r.error().text();
  EXPECT_EQ(r->certificates.size(), 3u);
  EXPECT_EQ(r->private_keys.size(), 1u);
  EXPECT_EQ(r->describe(), "3 PEM encoded certificates and a PEM encoded private key");
  EXPECT_EQ(X509_cmp(r->certificates[0].get(), leaf.cert.get()), 0);
  EXPECT_EQ(X509_cmp(r->certificates[2].get(), root.cert.get()), 0);
}

TEST(Pem, SingleCertificateDescribedAsInSeed) {
  auto root = testing::make_root("R");
  auto r = parse_pem(certificate_pem(root.cert.get()), "r.crt");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->describe(), "a PEM encoded certificate");
}

TEST(Pem, EncryptedKeyIsRefusedWithoutPrompting) {
  auto key = generate_key(testing::fast_key());
  BioPtr bio(BIO_new(BIO_s_mem()));
  const char* pass = "secret";
  ASSERT_EQ(PEM_write_bio_PKCS8PrivateKey(bio.get(), key->get(), EVP_aes_256_cbc(), pass, 6, nullptr, nullptr), 1);
  auto r = parse_pem(bio_contents(bio.get()), "enc.key");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("encrypted"), std::string::npos);
}

TEST(Pem, UnsupportedBlockType) {
  auto r = parse_pem("-----BEGIN PKCS7-----\nMAA=\n-----END PKCS7-----\n", "x.p7b");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("PKCS7"), std::string::npos);
}

TEST(Pem, LoadHelpersDemandTheirKind) {
  convene::testing::TempDir dir;
  auto key = generate_key(testing::fast_key());
  ASSERT_TRUE(write_file_atomic(dir / "a.key", private_key_pem(key->get()), 0600).ok());
  EXPECT_TRUE(load_private_key(dir / "a.key").ok());
  auto certs = load_certificates(dir / "a.key");
  ASSERT_FALSE(certs.ok());
  EXPECT_NE(certs.error().message.find("holds no certificate"), std::string::npos);
  EXPECT_FALSE(load_csr(dir / "a.key").ok());
  auto missing = load_certificates(dir / "nope.crt");
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.error().message.find("not found"), std::string::npos);
}

}  // namespace
}  // namespace convene::pki
