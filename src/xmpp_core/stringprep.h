#pragma once
// Stringprep profiles (RFC 3454) for the names and passwords clients send, with
// libidn (Debian libidn-dev), as Prosody does:
// - nodeprep (RFC 6122 appendix A): JID localparts. NFKC and case folding, so
//   look-alikes such as fullwidth letters or case variants map to one account;
//   prohibited and unassigned code points are refused.
// - SASLprep (RFC 4013): passwords, before SCRAM's Hi() and PLAIN's check, so a
//   password typed with a different Unicode form of the same characters works.
//
// ASCII input takes a fast path that gives the profile's result without calling
// the library (logins and JID parsing stay cheap for the common case).
// Thread-safe: pure functions.
#include <string>
#include <string_view>

#include "util/result.h"

namespace convene::xmpp {

// The prepared localpart, or an error naming what is wrong. Empty input is
// returned as is (the caller decides whether empty is allowed).
Result<std::string> nodeprep(std::string_view text);
// The prepared password, or an error when it holds prohibited characters
// (controls, unassigned code points, broken bidirectional text).
Result<std::string> saslprep(std::string_view text);

}  // namespace convene::xmpp
