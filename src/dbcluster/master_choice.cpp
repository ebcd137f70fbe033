#include "dbcluster/master_choice.h"

namespace convene::dbcluster {

std::optional<std::string> choose_new_master(const std::vector<StandbyReport>& others, std::uint64_t epoch,
                                             bool waited_enough) {
  const StandbyReport* best = nullptr;
  for (auto& r : others) {
    if (!r.reachable) continue;
    if (!r.fresh) {
      if (!waited_enough) return std::nullopt;
      continue;
    }
    if (!r.standby || r.epoch != epoch) continue;
    if (!best || r.lsn > best->lsn || (r.lsn == best->lsn && r.address < best->address)) best = &r;
  }
  if (!best) return std::nullopt;
  return best->address;
}

bool master_lost(bool member, std::optional<std::int64_t> contact_age_ms, std::int64_t leading_for_ms,
                 std::int64_t silence_ms) {
  if (!member) return true;
  if (contact_age_ms) return *contact_age_ms > silence_ms;
  return leading_for_ms > silence_ms;
}

}  // namespace convene::dbcluster
