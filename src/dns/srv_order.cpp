#include "dns/srv_order.h"

#include <algorithm>
#include <map>

namespace convene::dns {

std::vector<SrvTarget> order_srv_targets(std::vector<SrvTarget> targets, std::mt19937_64& rng) {
  if (targets.size() == 1 && (targets[0].host.empty() || targets[0].host == ".")) return {};
  std::map<uint16_t, std::vector<SrvTarget>> by_priority;
  for (auto& t : targets) by_priority[t.priority].push_back(std::move(t));

  std::vector<SrvTarget> out;
  for (auto& [priority, group] : by_priority) {
    // RFC 2782: put weight-0 records first, then repeatedly pick by a random number
    // in [0, sum of remaining weights] against the running sum.
    std::stable_partition(group.begin(), group.end(), [](const SrvTarget& t) { return t.weight == 0; });
    while (!group.empty()) {
      uint64_t total = 0;
      bool has_zero = false;
      for (auto& t : group) total += t.weight, has_zero |= t.weight == 0;
      // The RFC draws from [0, total]; drawing 0 picks the first entry, which skews
      // equal weights towards it. 0 is only needed to give weight-0 entries their
      // small chance, so draw from [1, total] when there are none.
      uint64_t pick = std::uniform_int_distribution<uint64_t>(has_zero || total == 0 ? 0 : 1, total)(rng);
      uint64_t running = 0;
      size_t chosen = 0;
      for (size_t i = 0; i < group.size(); ++i) {
        running += group[i].weight;
        if (running >= pick) {
          chosen = i;
          break;
        }
      }
      out.push_back(std::move(group[chosen]));
      group.erase(group.begin() + static_cast<long>(chosen));
    }
  }
  return out;
}

}  // namespace convene::dns
