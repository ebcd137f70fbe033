#pragma once
// The lease a node's PostgreSQL runs on (fencing that does not depend on the
// agent being alive): the guard process that runs the postmaster
// (apps/pgguard.cpp) stops it at once (immediate shutdown) when the lease runs
// out or the agent's end of the lease socket closes; the agent renews it every
// kLeaseRenewEvery from a thread of its own (lease_keeper.h), and only while
// this node may take writes. So PostgreSQL cannot outlive its agent (kill -9:
// EOF), a stalled agent (SIGSTOP: no renewals), nor a master's lost majority
// (the keeper stops renewing).
//
// Why these figures: a stall is noticed at most kLeaseLength after the last
// renewal; a lost majority is noticed by the keeper within the majority window
// (failover.h: 1 s), so a master that lost its majority refuses writes within
// about 2 s even when its reconciler is busy; renewals come nine times per lease,
// so a late thread wakeup does not fence a healthy master.
//
// Pure and unit-tested: the lease arithmetic, the wire line, the renewal rule.
#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace convene::dbcluster {

inline constexpr std::chrono::milliseconds kLeaseLength{900};
inline constexpr std::chrono::milliseconds kLeaseRenewEvery{100};
// Longest a renewal may ask for: a garbled line must not make PostgreSQL immortal.
inline constexpr std::chrono::milliseconds kLeaseMax{60000};

class Lease {
 public:
  using Clock = std::chrono::steady_clock;

  Lease(Clock::time_point now, std::chrono::milliseconds length) : until_(now + length) {}
  // Valid for `length` from `now` (never shortened by a late renewal's clock).
  void renew(Clock::time_point now, std::chrono::milliseconds length);
  bool expired(Clock::time_point now) const { return now >= until_; }
  // How long is left (zero when expired).
  std::chrono::milliseconds left(Clock::time_point now) const;

 private:
  Clock::time_point until_;
};

// "renew 900\n": what the agent sends.
std::string renewal_line(std::chrono::milliseconds length);
// One line without its newline: the length asked for, or nothing when it is
// not a renewal or asks for zero or more than kLeaseMax.
std::optional<std::chrono::milliseconds> parse_renewal(std::string_view line);

// Whether the agent may renew: always, except for a node that believes it is the
// master and does not reach a majority of the agents (it could not commit, and
// the majority may already have promoted another node).
inline bool may_renew_lease(bool believes_master, bool reaches_majority) {
  return !believes_master || reaches_majority;
}

}  // namespace convene::dbcluster
