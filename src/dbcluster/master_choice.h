#pragma once
// Which standby becomes master when the master is lost: the rules, apart from the
// agent so they can be unit-tested.
//
// Every commit is acknowledged only once the master and a quorum of standbys have
// it (synchronous_standby_names = ANY k, replication.h), so among the standbys a
// majority can still reach, the one that received the most WAL holds every
// acknowledged commit. Its position is only trusted when it was reported after the
// master was declared lost (it can no longer grow), and only from standbys that
// followed the current master (same epoch).
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace convene::dbcluster {

struct StandbyReport {
  std::string address;      // PostgreSQL address of the member
  bool reachable = false;   // heard from within the liveness window (or this node)
  bool fresh = false;       // reported after the master was declared lost
  bool standby = false;     // its PostgreSQL runs in recovery
  std::uint64_t epoch = 0;  // the master epoch its PostgreSQL follows
  std::uint64_t lsn = 0;    // greatest WAL position received or replayed
};

// The address to promote, or nothing yet: waits until every reachable member has
// reported fresh, unless `waited_enough` (then decides on the fresh reports it
// has). Ties go to the lowest address, so every leader would pick the same.
std::optional<std::string> choose_new_master(const std::vector<StandbyReport>& others, std::uint64_t epoch,
                                             bool waited_enough);

// True when the master counts as lost: it is no longer a member, or the leader has
// not heard from it for `silence` (never heard: counted from when this leader took
// over).
bool master_lost(bool member, std::optional<std::int64_t> contact_age_ms, std::int64_t leading_for_ms,
                 std::int64_t silence_ms);

}  // namespace convene::dbcluster
