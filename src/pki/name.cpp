#include "pki/name.h"

#include <arpa/inet.h>
#include <openssl/objects.h>

#include <algorithm>
#include <cctype>

#include "util/strings.h"

namespace convene::pki {

namespace {

std::string asn1_to_utf8(const ASN1_STRING* s) {
  unsigned char* out = nullptr;
  int n = ASN1_STRING_to_UTF8(&out, s);
  if (n < 0) return {};
  std::string text(reinterpret_cast<char*>(out), static_cast<size_t>(n));
  OPENSSL_free(out);
  return text;
}

std::string asn1_raw(const ASN1_STRING* s) {
  return std::string(reinterpret_cast<const char*>(ASN1_STRING_get0_data(s)),
                     static_cast<size_t>(ASN1_STRING_length(s)));
}

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

// Upper bounds from X.520 / RFC 5280 (ub-*), which CAs enforce.
struct FieldRule {
  const char* field;
  size_t max_length;
};
constexpr FieldRule kFields[] = {{"C", 2},   {"ST", 128}, {"L", 128},  {"O", 64},
                                 {"OU", 64}, {"CN", 64},  {"DC", 63}, {"emailAddress", 128}};

bool is_ip_address(const std::string& text) {
  unsigned char buf[16];
  return inet_pton(AF_INET, text.c_str(), buf) == 1 || inet_pton(AF_INET6, text.c_str(), buf) == 1;
}

bool is_dns_name(std::string_view name) {
  if (name.empty() || name.size() > 253) return false;
  if (starts_with(name, "*.")) name.remove_prefix(2);  // one leading wildcard label
  for (const auto& label : split(name, '.')) {
    if (label.empty() || label.size() > 63 || label.front() == '-' || label.back() == '-') return false;
    for (char c : label)
      if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_') return false;
  }
  return true;
}

}  // namespace

std::string DistinguishedName::get(std::string_view field) const {
  for (const auto& e : entries)
    if (e.field == field) return e.value;
  return {};
}

std::string DistinguishedName::to_string() const {
  std::string out;
  for (const auto& e : entries) {
    if (!out.empty()) out += ", ";
    out += e.field + "=" + e.value;
  }
  return out;
}

DistinguishedName read_name(const X509_NAME* name) {
  DistinguishedName dn;
  if (!name) return dn;
  for (int i = 0; i < X509_NAME_entry_count(name); ++i) {
    const X509_NAME_ENTRY* entry = X509_NAME_get_entry(name, i);
    const ASN1_OBJECT* obj = X509_NAME_ENTRY_get_object(entry);
    int nid = OBJ_obj2nid(obj);
    std::string field;
    if (nid != NID_undef) {
      field = OBJ_nid2sn(nid);
    } else {
      char buf[128];
      OBJ_obj2txt(buf, sizeof buf, obj, 1);
      field = buf;
    }
    dn.entries.push_back({field, asn1_to_utf8(X509_NAME_ENTRY_get_data(entry))});
  }
  return dn;
}

Status validate_name(const DistinguishedName& name) {
  for (const auto& e : name.entries) {
    auto rule = std::find_if(std::begin(kFields), std::end(kFields),
                             [&](const FieldRule& r) { return e.field == r.field; });
    if (rule == std::end(kFields))
      return make_error("unknown name field '" + e.field + "'", "Use CN, OU, O, L, ST, C, DC or emailAddress.");
    if (e.value.empty()) return make_error("empty value for " + e.field, "Give a value, e.g. " + e.field + ":example");
    for (char c : e.value)
      if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f)
        return make_error(e.field + " contains a control character", "Use printable characters only.");
    if (e.field == "C") {
      bool letters = e.value.size() == 2 && std::isalpha(static_cast<unsigned char>(e.value[0])) &&
                     std::isalpha(static_cast<unsigned char>(e.value[1]));
      if (!letters)
        return make_error("C:" + e.value + " is not a country code",
                          "C must be the two-letter ISO 3166 code, e.g. C:US or C:DE.");
    } else if (e.value.size() > rule->max_length) {
      return make_error(e.field + " is " + std::to_string(e.value.size()) + " characters long",
                        e.field + " may have at most " + std::to_string(rule->max_length) + " characters.");
    }
  }
  return ok_status();
}

Result<X509NamePtr> make_x509_name(const DistinguishedName& name) {
  X509NamePtr out(X509_NAME_new());
  for (const auto& e : name.entries) {
    auto* bytes = reinterpret_cast<const unsigned char*>(e.value.c_str());
    if (X509_NAME_add_entry_by_txt(out.get(), e.field.c_str(), MBSTRING_UTF8, bytes, -1, -1, 0) != 1)
      return make_error("cannot use " + e.field + "=" + e.value + ": " + take_openssl_error(),
                        "Check the value's characters and length.");
  }
  return out;
}

std::string AltName::to_string() const {
  switch (kind) {
    case Kind::kDns: return "DNS:" + value;
    case Kind::kIp: return "IP Address:" + value;
    case Kind::kEmail: return "email:" + value;
    case Kind::kUri: return "URI:" + value;
    case Kind::kXmppAddr: return "xmpp:" + value;
    case Kind::kOther: break;
  }
  return "othername:" + value;
}

std::string to_string(const std::vector<AltName>& names) {
  std::vector<std::string> parts;
  for (const auto& n : names) parts.push_back(n.to_string());
  return join(parts, ", ");
}

Result<AltName> parse_alt_name(std::string_view text) {
  std::string word = trim(text);
  auto bad = [&](const std::string& why) {
    return make_error("subjectAltName entry '" + word + "' " + why,
                      "Give DNS names or IP addresses separated by commas, e.g. subjectAltName:xmpp.example.com,10.0.0.5");
  };
  AltName::Kind kind = AltName::Kind::kDns;
  bool explicit_kind = false;
  static const std::pair<const char*, AltName::Kind> kPrefixes[] = {
      {"DNS:", AltName::Kind::kDns},     {"IP:", AltName::Kind::kIp},     {"email:", AltName::Kind::kEmail},
      {"URI:", AltName::Kind::kUri},     {"xmpp:", AltName::Kind::kXmppAddr}};
  for (auto [prefix, k] : kPrefixes) {
    std::string_view p = prefix;
    if (word.size() > p.size() && iequals(std::string_view(word).substr(0, p.size()), p)) {
      kind = k;
      explicit_kind = true;
      word = word.substr(p.size());
      break;
    }
  }
  if (word.empty()) return bad("is empty");
  if (!explicit_kind && is_ip_address(word)) kind = AltName::Kind::kIp;
  switch (kind) {
    case AltName::Kind::kDns:
      if (!is_dns_name(word)) return bad("is neither an IP address nor a valid DNS name");
      break;
    case AltName::Kind::kIp:
      if (!is_ip_address(word)) return bad("is not an IPv4 or IPv6 address");
      break;
    case AltName::Kind::kEmail:
      if (word.find('@') == std::string::npos) return bad("is not an e-mail address");
      break;
    default:  // URI and XMPP addresses: taken as given
      break;
  }
  return AltName{kind, word};
}

Result<std::vector<AltName>> parse_alt_names(std::string_view list) {
  std::vector<AltName> out;
  for (const auto& part : split(list, ',')) {
    auto name = parse_alt_name(part);
    if (!name) return name.error();
    if (std::find(out.begin(), out.end(), *name) == out.end()) out.push_back(std::move(*name));
  }
  return out;
}

std::vector<AltName> read_alt_names(const GENERAL_NAMES* names) {
  std::vector<AltName> out;
  for (int i = 0; names && i < sk_GENERAL_NAME_num(names); ++i) {
    const GENERAL_NAME* gn = sk_GENERAL_NAME_value(names, i);
    switch (gn->type) {
      case GEN_DNS: out.push_back({AltName::Kind::kDns, asn1_raw(gn->d.dNSName)}); break;
      case GEN_EMAIL: out.push_back({AltName::Kind::kEmail, asn1_raw(gn->d.rfc822Name)}); break;
      case GEN_URI: out.push_back({AltName::Kind::kUri, asn1_raw(gn->d.uniformResourceIdentifier)}); break;
      case GEN_IPADD: {
        std::string raw = asn1_raw(gn->d.iPAddress);
        char buf[INET6_ADDRSTRLEN] = {};
        int family = raw.size() == 4 ? AF_INET : raw.size() == 16 ? AF_INET6 : 0;
        if (family && inet_ntop(family, raw.data(), buf, sizeof buf))
          out.push_back({AltName::Kind::kIp, buf});
        else
          out.push_back({AltName::Kind::kOther, "<malformed IP address>"});
        break;
      }
      case GEN_OTHERNAME: {
        const OTHERNAME* other = gn->d.otherName;
        if (OBJ_obj2nid(other->type_id) == NID_XmppAddr && other->value->type == V_ASN1_UTF8STRING)
          out.push_back({AltName::Kind::kXmppAddr, asn1_raw(other->value->value.utf8string)});
        else
          out.push_back({AltName::Kind::kOther, "<unsupported>"});
        break;
      }
      default: out.push_back({AltName::Kind::kOther, "<unsupported>"}); break;
    }
  }
  return out;
}

namespace {
// Builds one GENERAL_NAME; nullptr when OpenSSL refuses the value.
GENERAL_NAME* make_general_name(const AltName& name) {
  GENERAL_NAME* gn = GENERAL_NAME_new();
  auto ia5 = [&](int type) {
    ASN1_IA5STRING* s = ASN1_IA5STRING_new();
    ASN1_STRING_set(s, name.value.data(), static_cast<int>(name.value.size()));
    GENERAL_NAME_set0_value(gn, type, s);
    return gn;
  };
  switch (name.kind) {
    case AltName::Kind::kDns: return ia5(GEN_DNS);
    case AltName::Kind::kEmail: return ia5(GEN_EMAIL);
    case AltName::Kind::kUri: return ia5(GEN_URI);
    case AltName::Kind::kIp:
      if (ASN1_OCTET_STRING* ip = a2i_IPADDRESS(name.value.c_str())) {
        GENERAL_NAME_set0_value(gn, GEN_IPADD, ip);
        return gn;
      }
      break;
    case AltName::Kind::kXmppAddr: {
      // RFC 6120 section 13.7.1.4: id-on-xmppAddr otherName holding a UTF8String.
      ASN1_UTF8STRING* s = ASN1_UTF8STRING_new();
      ASN1_STRING_set(s, name.value.data(), static_cast<int>(name.value.size()));
      ASN1_TYPE* value = ASN1_TYPE_new();
      ASN1_TYPE_set(value, V_ASN1_UTF8STRING, s);
      if (GENERAL_NAME_set0_othername(gn, OBJ_nid2obj(NID_XmppAddr), value) == 1) return gn;
      ASN1_TYPE_free(value);
      break;
    }
    case AltName::Kind::kOther: break;
  }
  GENERAL_NAME_free(gn);
  return nullptr;
}
}  // namespace

Result<X509ExtensionPtr> make_alt_name_extension(const std::vector<AltName>& names) {
  GeneralNamesPtr gens(sk_GENERAL_NAME_new_null());
  for (const auto& name : names) {
    GENERAL_NAME* gn = make_general_name(name);
    if (!gn) return make_error("cannot encode subjectAltName " + name.to_string() + ": " + take_openssl_error());
    sk_GENERAL_NAME_push(gens.get(), gn);
  }
  X509ExtensionPtr ext(X509V3_EXT_i2d(NID_subject_alt_name, 0, gens.get()));
  if (!ext) return make_error("cannot encode subjectAltName: " + take_openssl_error());
  return ext;
}

}  // namespace convene::pki
