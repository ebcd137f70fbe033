#include "pki/name.h"

#include <gtest/gtest.h>

namespace convene::pki {
namespace {

TEST(AltName, AddressesBecomeIpAndNamesDns) {
  auto names = parse_alt_names("xmpp.example.com,10.0.0.5,fe80::1,*.conf.example.com");
  ASSERT_TRUE(names.ok()) << names.error().text();
  ASSERT_EQ(names->size(), 4u);
  EXPECT_EQ((*names)[0], (AltName{AltName::Kind::kDns, "xmpp.example.com"}));
  EXPECT_EQ((*names)[1], (AltName{AltName::Kind::kIp, "10.0.0.5"}));
  EXPECT_EQ((*names)[2], (AltName{AltName::Kind::kIp, "fe80::1"}));
  EXPECT_EQ((*names)[3].kind, AltName::Kind::kDns);
  EXPECT_EQ(to_string(*names), "DNS:xmpp.example.com, IP Address:10.0.0.5, IP Address:fe80::1, DNS:*.conf.example.com");
}

TEST(AltName, ExplicitPrefixesAndDuplicates) {
  auto names = parse_alt_names("DNS:a.example,IP:10.1.1.1,xmpp:conf.example,a.example");
  ASSERT_TRUE(names.ok());
  ASSERT_EQ(names->size(), 3u);
  EXPECT_EQ((*names)[2].kind, AltName::Kind::kXmppAddr);
}

TEST(AltName, RejectsGarbage) {
  EXPECT_FALSE(parse_alt_names("good.example,bad name").ok());
  EXPECT_FALSE(parse_alt_names("a..example").ok());
  EXPECT_FALSE(parse_alt_names("IP:not-an-ip").ok());
  EXPECT_FALSE(parse_alt_names("a.example,,b.example").ok());
  EXPECT_FALSE(parse_alt_names("").ok());
}

TEST(AltName, ExtensionRoundTrip) {
  std::vector<AltName> in = {{AltName::Kind::kDns, "a.example"},
                             {AltName::Kind::kIp, "192.168.1.2"},
                             {AltName::Kind::kIp, "2001:db8::7"},
                             {AltName::Kind::kXmppAddr, "conf.example"}};
  auto ext = make_alt_name_extension(in);
  ASSERT_TRUE(ext.ok());
  GeneralNamesPtr names(static_cast<GENERAL_NAMES*>(X509V3_EXT_d2i(ext->get())));
  EXPECT_EQ(read_alt_names(names.get()), in);
}

TEST(DistinguishedName, SeedFormatAndValidation) {
  DistinguishedName dn{{{"C", "IN"}, {"ST", "KA"}, {"L", "PLD"}, {"O", "Glass"}, {"OU", "AC"}, {"CN", "VCSmRA.S.com"}}};
  EXPECT_EQ(dn.to_string(), "C=IN, ST=KA, L=PLD, O=Glass, OU=AC, CN=VCSmRA.S.com");
  EXPECT_EQ(dn.get("CN"), "VCSmRA.S.com");
  EXPECT_TRUE(validate_name(dn).ok());
  auto name = make_x509_name(dn);
  ASSERT_TRUE(name.ok());
  EXPECT_EQ(read_name(name->get()), dn);

  EXPECT_FALSE(validate_name({{{"C", "USA"}}}).ok());
  EXPECT_FALSE(validate_name({{{"C", "1X"}}}).ok());
  EXPECT_FALSE(validate_name({{{"CN", ""}}}).ok());
  EXPECT_FALSE(validate_name({{{"XX", "y"}}}).ok());
  EXPECT_FALSE(validate_name({{{"CN", std::string(65, 'a')}}}).ok());
}

}  // namespace
}  // namespace convene::pki
