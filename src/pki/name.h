#pragma once
// The names a certificate carries: the distinguished name (subject / issuer) and the
// subject alternative names, as plain values that can be compared, printed and
// turned back into OpenSSL objects.
#include <string>
#include <string_view>
#include <vector>

#include "pki/openssl_ptr.h"
#include "util/result.h"

namespace convene::pki {

// A distinguished name in the certificate's own order (e.g. C, ST, L, O, OU, CN).
struct DistinguishedName {
  struct Entry {
    std::string field;  // short name: "C", "ST", "L", "O", "OU", "CN", "DC", "emailAddress"
    std::string value;  // UTF-8
    bool operator==(const Entry&) const = default;
  };
  std::vector<Entry> entries;

  bool empty() const { return entries.empty(); }
  // The first value of `field`, or "".
  std::string get(std::string_view field) const;
  // "C=IN, ST=KA, L=PLD, O=Glass, OU=AC, CN=VCSmRA.S.com" (seed 004's form).
  std::string to_string() const;
  bool operator==(const DistinguishedName&) const = default;
};

DistinguishedName read_name(const X509_NAME* name);

// Checks the fields a CSR or certificate may be made with: known field names,
// non-empty values within X.520 lengths, C two letters.
Status validate_name(const DistinguishedName& name);

// Builds the OpenSSL name; the input must have passed validate_name.
Result<X509NamePtr> make_x509_name(const DistinguishedName& name);

// One subject alternative name.
struct AltName {
  enum class Kind { kDns, kIp, kEmail, kUri, kXmppAddr, kOther };
  Kind kind = Kind::kDns;
  std::string value;  // for kIp the textual address ("10.0.0.1", "fe80::1")

  // OpenSSL's x509 -text spelling: "DNS:a.example", "IP Address:10.0.0.1", ...
  std::string to_string() const;
  bool operator==(const AltName&) const = default;
};

// An operator's SAN word: an IPv4/IPv6 address becomes an IP SAN, anything else a
// DNS name. Explicit "DNS:", "IP:", "email:", "URI:" and "xmpp:" prefixes are honoured.
Result<AltName> parse_alt_name(std::string_view text);
// A comma-separated list, as in "subjectAltName:a.example,10.0.0.1".
Result<std::vector<AltName>> parse_alt_names(std::string_view list);

// "DNS:a, IP Address:1.2.3.4".
std::string to_string(const std::vector<AltName>& names);

std::vector<AltName> read_alt_names(const GENERAL_NAMES* names);
// The subjectAltName extension value for `names` (not empty).
Result<X509ExtensionPtr> make_alt_name_extension(const std::vector<AltName>& names);

}  // namespace convene::pki
