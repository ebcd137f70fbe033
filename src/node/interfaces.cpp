#include "node/interfaces.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "util/strings.h"

namespace convene {

namespace {
bool is_ip_literal(const std::string& text) {
  in_addr v4;
  in6_addr v6;
  return inet_pton(AF_INET, text.c_str(), &v4) == 1 || inet_pton(AF_INET6, text.c_str(), &v6) == 1;
}
}  // namespace

Result<std::pair<std::string, std::string>> Interfaces::parse_binding(const std::string& text) {
  auto eq = text.find('=');
  if (eq == std::string::npos)
    return make_error("bad interface '" + text + "'", "Write it as NAME=ADDRESS, e.g. a=127.0.1.1");
  std::string name = text.substr(0, eq), addr = text.substr(eq + 1);
  if (name.size() != 1 || name[0] < 'a' || name[0] > 'z')
    return make_error("bad interface name '" + name + "'", "Interface names are one letter, a to z.");
  if (!is_ip_literal(addr))
    return make_error("bad address '" + addr + "' for interface " + name, "Give an IPv4 or IPv6 address.");
  return std::pair{name, addr};
}

Status Interfaces::check_local(const std::string& address) {
  sockaddr_storage ss{};
  socklen_t len;
  int family;
  if (auto* v4 = reinterpret_cast<sockaddr_in*>(&ss); inet_pton(AF_INET, address.c_str(), &v4->sin_addr) == 1) {
    v4->sin_family = family = AF_INET;
    len = sizeof(sockaddr_in);
  } else {
    auto* v6 = reinterpret_cast<sockaddr_in6*>(&ss);
    if (inet_pton(AF_INET6, address.c_str(), &v6->sin6_addr) != 1)
      return make_error("bad address '" + address + "'");
    v6->sin6_family = family = AF_INET6;
    len = sizeof(sockaddr_in6);
  }
  int fd = ::socket(family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return make_error(std::string("socket: ") + std::strerror(errno));
  int rc = ::bind(fd, reinterpret_cast<sockaddr*>(&ss), len);
  int err = errno;
  ::close(fd);
  if (rc != 0)
    return make_error("address " + address + " is not an address of this machine (" + std::strerror(err) + ")",
                      "Use one of this machine's addresses, e.g. 127.0.1.1 for a local test node.");
  return ok_status();
}

Status Interfaces::add(const std::string& name, const std::string& address) {
  if (by_name_.count(name)) return make_error("interface " + name + " given twice");
  by_name_[name] = address;
  return ok_status();
}

Result<std::string> Interfaces::address(const std::string& name) const {
  auto it = by_name_.find(name);
  if (it != by_name_.end()) return it->second;
  std::vector<std::string> known;
  for (auto& [n, a] : by_name_) known.push_back(n + " (" + a + ")");
  return make_error("unknown interface '" + name + "'",
                    known.empty() ? "This node has no interfaces; start convened with --iface a=ADDRESS."
                                  : "Interfaces of this node: " + join(known, ", ") + ".");
}

}  // namespace convene
