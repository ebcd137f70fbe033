#pragma once
// Interface names (a, b, c, ...) mapped to local addresses, as CMS names its network
// interfaces: `xmpp listen a` and `database cluster localnode a` refer to them.
// Given on convened's command line (--iface a=127.0.1.1) so several simulated nodes
// can share one machine, each with its own loopback address.
#include <map>
#include <string>
#include <vector>

#include "util/result.h"

namespace convene {

class Interfaces {
 public:
  // Parses "a=127.0.1.1"; the name is one lower-case letter a-z, the address an
  // IPv4 or IPv6 literal.
  static Result<std::pair<std::string, std::string>> parse_binding(const std::string& text);

  // Checks that the address can be bound here (it is one of this machine's).
  static Status check_local(const std::string& address);

  Status add(const std::string& name, const std::string& address);
  // The address of `name`, or an error listing the interfaces there are.
  Result<std::string> address(const std::string& name) const;
  const std::map<std::string, std::string>& all() const { return by_name_; }

 private:
  std::map<std::string, std::string> by_name_;
};

}  // namespace convene
