#pragma once
// Sessions of other nodes that are absent but maybe not ended: their member went
// silent (a partition, a stopped or dead process), so the leader dropped them from
// the cluster's registry, yet the user may still be connected there, or may come
// back on another node (XEP-0198 resumption or a new bind).
//
// Why: without this, a stanza for such a user found no session and went to offline
// storage (or an error) while the user was still online on the silent node: never
// delivered, no error back. Instead the cluster router keeps such stanzas
// unconfirmed for kAwaitReturn after the session was dropped (cluster_router.h,
// "Absent sessions"): they are delivered when the session is back (the member
// returns, or the user binds elsewhere), else bounced to their sender.
//
// Pure and not thread-safe: the cluster router locks (absent_mu_).
#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>

namespace convene::xmpp {

class AbsentSessions {
 public:
  using Clock = std::chrono::steady_clock;
  // How long after its member went silent a session is waited for: long enough
  // for a partition or a stopped process to end and for the cut-off member to find
  // the new leader again (the chaos faults last 5-12 s, and a healed member took
  // up to 10 s more to rejoin), or for its client to reconnect elsewhere (~4-5 s).
  // The sender hears of a failure sooner anyway: each stanza kept for an absent
  // session is bounced when it has waited the router's give-up time.
  static constexpr auto kAwaitReturn = std::chrono::seconds(30);
  // After the wait: an absence still known as such, so that stanzas for it are
  // bounced, never stored offline for a user who may well be online on the silent
  // member. Memory is bounded by the dropped sessions themselves.
  static constexpr auto kForgetAfter = std::chrono::seconds(60);

  enum class State { unknown, awaited, timed_out };
  struct Found {
    std::string jid;  // full JID of the absent session
    std::uint64_t member;
    bool awaited = true;  // false: its wait is over (timed_out), not forgotten yet
  };

  // The session `full` of `member` was dropped without its member saying it ended.
  void dropped(const std::string& full, std::uint64_t member, Clock::time_point now);
  // The session is registered again (on any member): not absent any more.
  void back(const std::string& full);
  // `member` sent its own whole list: its sessions not in it really ended.
  void member_reported(std::uint64_t member);

  State state(const std::string& full, Clock::time_point now) const;
  // An absent session for a stanza to `bare` (its full JID `full`, else, when
  // `any_resource`, one of the bare JID), an awaited one first, else one whose wait
  // is over (Found::awaited false).
  std::optional<Found> absent_for(std::string_view bare, std::string_view full, bool any_resource,
                                   Clock::time_point now) const;
  // Forgets absences older than kForgetAfter.
  void forget_old(Clock::time_point now);
  size_t size() const { return absent_.size(); }
  // The members some absent session belongs to.
  std::set<std::uint64_t> members() const;

 private:
  struct Absence {
    std::uint64_t member;
    Clock::time_point since;
  };
  std::map<std::string, Absence, std::less<>> absent_;  // full JID → (sorted: a bare JID's are adjacent)
};

}  // namespace convene::xmpp
