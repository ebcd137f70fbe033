#pragma once
// A network endpoint, host and port, and the one parser for the ways we write them.
#include <cstdint>
#include <string>
#include <string_view>

#include "util/result.h"

namespace convene {

struct Endpoint {
  std::string host;  // a name or an IP address; an IPv6 address without brackets
  std::uint16_t port = 0;

  // Parses an address an operator typed: "host", "host:port", "[v6]" or "[v6]:port";
  // `default_port` when none is written. An IPv6 address must be in brackets (a bare
  // "::1:5223" is ambiguous). Errors (ErrorCode::invalid_argument) say only what is
  // wrong, e.g. "missing ']'", so the caller can name the setting around it.
  static Result<Endpoint> parse(std::string_view text, std::uint16_t default_port);

  // Splits an address this program wrote itself, "<ip>:<port>", at the LAST ':'. The
  // IP may be an unbracketed IPv6 address ("::1:7000") or bracketed ("[::1]:7000").
  // The port is required. Errors are ErrorCode::invalid_argument.
  static Result<Endpoint> split(std::string_view address);

  // "host:port", or "[v6]:port" for an IPv6 address.
  std::string to_string() const;

  bool operator==(const Endpoint&) const = default;
};

// The host part of an "<ip>:<port>" address this program wrote (see Endpoint::split):
// everything before the last ':', or the whole text when it has no ':'. Never fails,
// for display and comparison of member addresses.
std::string host_of(std::string_view address);

}  // namespace convene
