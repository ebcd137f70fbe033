#pragma once
// XMPP addresses (RFC 7622): [localpart@]domainpart[/resourcepart].
//
// A Jid is always prepared: parse() rejects what RFC 7622 forbids and stores the
// canonical form, so comparing two Jids is comparing bytes. The canonical text is
// one string with the bare JID as its prefix; bare_view() and domain() are views
// into it and cost nothing (the router compares bare JIDs on every stanza).
//
// Preparation:
// - domainpart: ASCII is lower-cased, a trailing dot removed, labels checked
//   (LDH plus '_', ≤ 63 bytes); IP literals ([v6] or dotted v4) pass unchanged;
//   non-ASCII goes through IDNA2008/UTS-46 with libidn2 (NFC, case folded) and is
//   stored as U-labels, as RFC 7622 §3.2 asks; A-labels ("xn--") are converted to
//   U-labels so both spellings compare equal.
// - localpart: nodeprep (stringprep.h, libidn; as Prosody, since Debian 12 has no
//   PRECIS library): NFKC and case folding, so fullwidth or upper-case look-alikes
//   name the same account; the characters " & ' / : < > @ and space, controls,
//   unassigned code points and invalid UTF-8 are rejected.
// - resourcepart: kept as sent (case-sensitive, OpaqueString), valid UTF-8, no
//   controls; it may contain '@' and '/'.
// - each part is 1..1023 bytes.
//
// Thread-safe as a value type.
#include <compare>
#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "util/result.h"

namespace convene::xmpp {

class Jid {
 public:
  Jid() = default;  // empty; valid() is false

  static Result<Jid> parse(std::string_view text);
  // The fast path parse() takes first: when `text` is ASCII and already in the
  // canonical form (lower-case localpart and domain without anything nodeprep or
  // the label check would change or refuse, no trailing dot, no "xn--", no IP
  // literal in brackets), the Jid holding it as is; otherwise nullopt and the
  // full preparation decides. A chat client sends every stanza's 'to' in this
  // form, so routing skips the per-part copies.
  static std::optional<Jid> parse_prepared(std::string_view text);
  static Result<Jid> make(std::string_view local, std::string_view domain,
                          std::string_view resource = {});

  bool valid() const { return !text_.empty(); }
  std::string_view local() const;
  std::string_view domain() const;
  std::string_view resource() const;
  bool has_local() const { return domain_at_ > 0; }
  bool has_resource() const { return bare_len_ < text_.size(); }
  bool is_bare() const { return !has_resource(); }
  bool is_domain() const { return !has_local() && !has_resource(); }

  const std::string& full() const { return text_; }  // canonical text
  std::string_view bare_view() const { return std::string_view(text_).substr(0, bare_len_); }
  Jid bare() const;
  Result<Jid> with_resource(std::string_view resource) const;

  friend bool operator==(const Jid& a, const Jid& b) { return a.text_ == b.text_; }
  friend std::strong_ordering operator<=>(const Jid& a, const Jid& b) {
    return a.text_ <=> b.text_;
  }

 private:
  std::string text_;
  size_t domain_at_ = 0;  // 0 without localpart, else index after '@'
  size_t bare_len_ = 0;   // length of local@domain
};

// Each part on its own, for callers that already split (e.g. a user name typed
// into mmp, or a domain from the configuration).
Result<std::string> prepare_localpart(std::string_view local);
Result<std::string> prepare_domainpart(std::string_view domain);
Result<std::string> prepare_resourcepart(std::string_view resource);

}  // namespace convene::xmpp

template <>
struct std::hash<convene::xmpp::Jid> {
  size_t operator()(const convene::xmpp::Jid& j) const noexcept {
    return std::hash<std::string>{}(j.full());
  }
};
