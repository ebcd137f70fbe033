#include "pki/csr.h"

#include <gtest/gtest.h>

#include "pki/pem.h"
#include "pki/pki_test_support.h"

namespace convene::pki {
namespace {

TEST(Csr, SubjectAndSansSurvivePemRoundTrip) {
  auto key = generate_key();  // the default the `pki csr` command uses: RSA 2048
  ASSERT_TRUE(key.ok());
  EXPECT_EQ(key_info(key->get()).summary(), "RSA 2048 bit");
  CsrRequest request;
  request.subject.entries = {{"C", "DE"}, {"ST", "BY"}, {"L", "Munich"}, {"O", "Convene"}, {"OU", "Ops"}, {"CN", "xmpp.example.com"}};
  request.sans = parse_alt_names("xmpp.example.com,10.0.0.5").value();
  auto csr = make_csr(request, key->get());
  ASSERT_TRUE(csr.ok()) << csr.error().text();

  auto parsed = parse_pem(csr_pem(csr->get()), "x.csr");
  ASSERT_TRUE(parsed.ok()) << parsed.error().text();
  ASSERT_EQ(parsed->requests.size(), 1u);
  auto info = read_csr_info(parsed->requests[0].get());
  ASSERT_TRUE(info.ok());
  EXPECT_EQ(info->subject, request.subject);
  EXPECT_EQ(info->subject.to_string(), "C=DE, ST=BY, L=Munich, O=Convene, OU=Ops, CN=xmpp.example.com");
  EXPECT_EQ(info->sans, request.sans);
  EXPECT_TRUE(info->signature_ok);
  EXPECT_EQ(info->public_key.bits, 2048);
}

TEST(Csr, RefusesBadSubject) {
  auto key = generate_key(testing::fast_key());
  CsrRequest request;
  request.subject.entries = {{"C", "Germany"}, {"CN", "x"}};
  auto csr = make_csr(request, key->get());
  ASSERT_FALSE(csr.ok());
  EXPECT_NE(csr.error().message.find("country"), std::string::npos);
  EXPECT_FALSE(make_csr(CsrRequest{}, key->get()).ok());
}

TEST(Csr, SignedCertificateCopiesSubjectAndSans) {
  auto root = testing::make_root("Lab Root");
  auto leaf = testing::issue(root, "db1.example", {}, parse_alt_names("db1.example,10.1.2.3").value());
  auto info = read_certificate_info(leaf.cert.get());
  ASSERT_TRUE(info.ok());
  EXPECT_EQ(info->subject.to_string(), "O=Convene Test, CN=db1.example");
  EXPECT_EQ(info->issuer.to_string(), "O=Convene Test, CN=Lab Root");
  EXPECT_EQ(to_string(info->sans), "DNS:db1.example, IP Address:10.1.2.3");
  EXPECT_FALSE(info->is_ca);
  EXPECT_EQ(info->version, 3);
  EXPECT_EQ(info->signature_algorithm, "ecdsa-with-SHA256");
}

}  // namespace
}  // namespace convene::pki
