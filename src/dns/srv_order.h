#pragma once
// RFC 2782 target selection: lowest priority first; within one priority, a
// weighted random order (weight 0 records last-ish, with a small chance, as the RFC
// says). Pure and deterministic for a given random generator, so it is unit-tested
// statistically.
#include <cstdint>
#include <random>
#include <string>
#include <vector>

namespace convene::dns {

struct SrvTarget {
  std::string host;  // without the trailing dot
  uint16_t port = 0;
  uint16_t priority = 0;
  uint16_t weight = 0;

  std::string endpoint() const { return host + ":" + std::to_string(port); }
  bool operator==(const SrvTarget&) const = default;
};

// The order in which to try `targets`. A single "." target (RFC 2782: service
// decidedly not available) yields an empty list.
std::vector<SrvTarget> order_srv_targets(std::vector<SrvTarget> targets, std::mt19937_64& rng);

}  // namespace convene::dns
