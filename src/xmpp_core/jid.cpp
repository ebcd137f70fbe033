#include "xmpp_core/jid.h"

#include <arpa/inet.h>
#include <idn2.h>

#include <cstdint>
#include <memory>

#include "xmpp_core/stringprep.h"

namespace convene::xmpp {
namespace {

constexpr size_t kMaxPart = 1023;  // RFC 7622 §3.1

// Well-formed UTF-8 without overlongs or surrogates, and no control characters
// (C0, DEL, C1), which every PRECIS class disallows.
bool valid_utf8_no_controls(std::string_view s) {
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  const auto* end = p + s.size();
  while (p < end) {
    uint32_t c = *p;
    int extra;
    if (c < 0x80) {
      if (c < 0x20 || c == 0x7f) return false;
      ++p;
      continue;
    } else if ((c & 0xe0) == 0xc0) {
      c &= 0x1f, extra = 1;
    } else if ((c & 0xf0) == 0xe0) {
      c &= 0x0f, extra = 2;
    } else if ((c & 0xf8) == 0xf0) {
      c &= 0x07, extra = 3;
    } else {
      return false;
    }
    if (end - p <= extra) return false;
    for (int i = 1; i <= extra; ++i) {
      if ((p[i] & 0xc0) != 0x80) return false;
      c = (c << 6) | (p[i] & 0x3f);
    }
    static constexpr uint32_t kMin[] = {0, 0x80, 0x800, 0x10000};
    if (c < kMin[extra] || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff)) return false;
    if (c >= 0x80 && c <= 0x9f) return false;
    p += extra + 1;
  }
  return true;
}

bool is_ascii(std::string_view s) {
  for (char c : s) {
    if (static_cast<unsigned char>(c) >= 0x80) return false;
  }
  return true;
}

char lower(char c) { return (c >= 'A' && c <= 'Z') ? char(c - 'A' + 'a') : c; }

Error bad(std::string_view part, std::string_view why) {
  return make_error("invalid JID " + std::string(part) + ": " + std::string(why));
}

Result<std::string> check_length(std::string_view part, std::string_view what) {
  if (part.empty()) return bad(what, "is empty");
  if (part.size() > kMaxPart) return bad(what, "is longer than 1023 bytes");
  return std::string(part);
}

// Domain through IDNA2008 + UTS-46 mapping, back to U-labels (RFC 7622 §3.2).
Result<std::string> prepare_idn(std::string_view domain) {
  std::string input(domain);
  uint8_t* ascii = nullptr;
  int rc = idn2_lookup_u8(reinterpret_cast<const uint8_t*>(input.c_str()), &ascii,
                          IDN2_NFC_INPUT | IDN2_NONTRANSITIONAL);
  if (rc != IDN2_OK) return bad("domainpart", idn2_strerror(rc));
  std::unique_ptr<uint8_t, void (*)(void*)> ascii_owner(ascii, idn2_free);
  char* unicode = nullptr;
  rc = idn2_to_unicode_8z8z(reinterpret_cast<const char*>(ascii), &unicode, 0);
  if (rc != IDN2_OK) return bad("domainpart", idn2_strerror(rc));
  std::unique_ptr<char, void (*)(void*)> unicode_owner(unicode, idn2_free);
  return std::string(unicode);
}

bool valid_ascii_label(std::string_view label) {
  if (label.empty() || label.size() > 63) return false;
  for (char c : label) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
    if (!ok) return false;
  }
  return true;
}

// One byte of a localpart that nodeprep leaves unchanged and accepts.
bool prepared_local_byte(unsigned char c) {
  if (c < 0x21 || c >= 0x7f) return false;  // controls, space, DEL, non-ASCII
  if (c >= 'A' && c <= 'Z') return false;    // nodeprep would lower-case it
  switch (c) {
    case '"': case '&': case '\'': case '/': case ':': case '<': case '>': case '@': return false;
    default: return true;
  }
}

bool prepared_label_byte(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_'; }

}  // namespace

Result<std::string> prepare_localpart(std::string_view local) {
  if (local.empty()) return bad("localpart", "is empty");
  if (local.size() > kMaxPart) return bad("localpart", "is longer than 1023 bytes");
  if (!valid_utf8_no_controls(local)) return bad("localpart", "has invalid characters");
  auto out = nodeprep(local);
  if (!out) return bad("localpart", out.error().message);
  // Nodeprep maps some characters to nothing and expands others.
  if (out->empty()) return bad("localpart", "is empty once prepared");
  if (out->size() > kMaxPart) return bad("localpart", "is longer than 1023 bytes once prepared");
  return out;
}

Result<std::string> prepare_domainpart(std::string_view domain) {
  if (!domain.empty() && domain.back() == '.') domain.remove_suffix(1);  // §3.2
  auto out = check_length(domain, "domainpart");
  if (!out) return out;
  std::string& d = *out;
  for (char& c : d) c = lower(c);
  if (d.front() == '[') {  // IPv6 literal
    in6_addr addr;
    if (d.back() != ']' || inet_pton(AF_INET6, d.substr(1, d.size() - 2).c_str(), &addr) != 1) {
      return bad("domainpart", "is not a valid IPv6 literal");
    }
    return out;
  }
  bool needs_idn = !is_ascii(d) || d.rfind("xn--", 0) == 0 || d.find(".xn--") != std::string::npos;
  if (needs_idn) {
    if (!valid_utf8_no_controls(domain)) return bad("domainpart", "is not valid UTF-8");
    auto idn = prepare_idn(domain);
    if (!idn) return idn;
    if (idn->size() > kMaxPart) return bad("domainpart", "is longer than 1023 bytes");
    return idn;
  }
  size_t start = 0;
  for (;;) {
    size_t dot = d.find('.', start);
    std::string_view label = std::string_view(d).substr(start, dot - start);
    if (!valid_ascii_label(label)) return bad("domainpart", "has an invalid label");
    if (dot == std::string::npos) break;
    start = dot + 1;
  }
  return out;
}

Result<std::string> prepare_resourcepart(std::string_view resource) {
  auto out = check_length(resource, "resourcepart");
  if (!out) return out;
  if (!valid_utf8_no_controls(resource)) return bad("resourcepart", "has invalid characters");
  return out;
}

Result<Jid> Jid::make(std::string_view local, std::string_view domain,
                      std::string_view resource) {
  Jid jid;
  if (!local.empty()) {
    auto l = prepare_localpart(local);
    if (!l) return l.error();
    jid.text_ = std::move(*l);
    jid.text_ += '@';
    jid.domain_at_ = jid.text_.size();
  }
  auto d = prepare_domainpart(domain);
  if (!d) return d.error();
  jid.text_ += *d;
  jid.bare_len_ = jid.text_.size();
  if (!resource.empty()) {
    auto r = prepare_resourcepart(resource);
    if (!r) return r.error();
    jid.text_ += '/';
    jid.text_ += *r;
  }
  return jid;
}

std::optional<Jid> Jid::parse_prepared(std::string_view text) {
  size_t slash = text.find('/');
  std::string_view bare = text.substr(0, slash);
  if (slash != std::string_view::npos) {
    std::string_view resource = text.substr(slash + 1);
    if (resource.empty() || resource.size() > kMaxPart) return std::nullopt;
    for (unsigned char c : resource)
      if (c < 0x20 || c >= 0x7f) return std::nullopt;  // controls, or UTF-8 to validate
  }
  size_t at = bare.find('@');
  std::string_view domain = bare;
  if (at != std::string_view::npos) {
    std::string_view local = bare.substr(0, at);
    if (local.empty() || local.size() > kMaxPart) return std::nullopt;
    for (unsigned char c : local)
      if (!prepared_local_byte(c)) return std::nullopt;
    domain = bare.substr(at + 1);
  }
  if (domain.empty() || domain.size() > kMaxPart) return std::nullopt;
  // Labels of [a-z0-9-_], 1..63 bytes, none starting "xn--" (those become U-labels).
  size_t label = 0;
  for (size_t i = 0; i <= domain.size(); ++i) {
    if (i == domain.size() || domain[i] == '.') {
      if (i == label || i - label > 63) return std::nullopt;  // also a trailing dot
      if (domain.substr(label).starts_with("xn--")) return std::nullopt;
      label = i + 1;
    } else if (!prepared_label_byte(domain[i])) {
      return std::nullopt;
    }
  }
  Jid jid;
  jid.text_ = text;
  jid.domain_at_ = at == std::string_view::npos ? 0 : at + 1;
  jid.bare_len_ = bare.size();
  return jid;
}

Result<Jid> Jid::parse(std::string_view text) {
  if (auto prepared = parse_prepared(text)) return std::move(*prepared);
  // RFC 7622 §3.1: the resource starts at the first '/', the localpart ends at the
  // first '@' before it.
  std::string_view bare = text, resource;
  size_t slash = text.find('/');
  if (slash != std::string_view::npos) {
    bare = text.substr(0, slash);
    resource = text.substr(slash + 1);
    if (resource.empty()) return bad("'" + std::string(text) + "'", "has an empty resourcepart");
  }
  std::string_view local, domain = bare;
  size_t at = bare.find('@');
  if (at != std::string_view::npos) {
    local = bare.substr(0, at);
    domain = bare.substr(at + 1);
    if (local.empty()) return bad("'" + std::string(text) + "'", "has an empty localpart");
  }
  return make(local, domain, resource);
}

std::string_view Jid::local() const {
  return domain_at_ ? std::string_view(text_).substr(0, domain_at_ - 1) : std::string_view{};
}

std::string_view Jid::domain() const {
  return std::string_view(text_).substr(domain_at_, bare_len_ - domain_at_);
}

std::string_view Jid::resource() const {
  return has_resource() ? std::string_view(text_).substr(bare_len_ + 1) : std::string_view{};
}

Jid Jid::bare() const {
  Jid j;
  j.text_ = text_.substr(0, bare_len_);
  j.domain_at_ = domain_at_;
  j.bare_len_ = bare_len_;
  return j;
}

Result<Jid> Jid::with_resource(std::string_view resource) const {
  auto r = prepare_resourcepart(resource);
  if (!r) return r.error();
  Jid j = bare();
  j.text_ += '/';
  j.text_ += *r;
  return j;
}

}  // namespace convene::xmpp
