#include "cluster/peer_identity.h"

#include <asio/ip/address.hpp>

#include <algorithm>
#include <cctype>

namespace convene::cluster {

const char* standing_name(PeerStanding s) {
  switch (s) {
    case PeerStanding::refused: return "refused";
    case PeerStanding::located: return "located";
    case PeerStanding::named: return "named";
    case PeerStanding::trusted: return "trusted";
  }
  return "?";
}

bool names_host(std::string_view name, std::string_view host) {
  if (name.empty() || host.empty()) return false;
  std::error_code a, b;
  auto ip_name = asio::ip::make_address(std::string(name), a);
  auto ip_host = asio::ip::make_address(std::string(host), b);
  if (!a && !b) return ip_name == ip_host;
  if (!a || !b) return false;
  return std::equal(name.begin(), name.end(), host.begin(), host.end(), [](char x, char y) {
    return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
  });
}

PeerStanding judge_peer(const tls::PeerCertificate& cert, std::string_view claimed_host,
                        std::string_view source_host) {
  if (cert.in_trust_bundle || cert.same_key_as_ours) return PeerStanding::trusted;
  for (auto& n : cert.names)
    if (names_host(n, claimed_host)) return PeerStanding::named;
  if (names_host(source_host, claimed_host)) return PeerStanding::located;
  return PeerStanding::refused;
}

}  // namespace convene::cluster
