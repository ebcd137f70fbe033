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
#include <string>
#include <string_view>

namespace convene::xmpp {

class AbsentSessions {
 public:
  using Clock = std::chrono::steady_clock;
  // How long after its member went silent a session is waited for: long enough
  // for a short partition or a stopped process to end (the chaos faults last
  // 5-12 s) or for its client to reconnect elsewhere (~4-5 s), short enough that
  // the sender hears of a failure within seconds. Memory is bounded by the dropped
  // sessions themselves, kept kForgetAfter.
  static constexpr auto kAwaitReturn = std::chrono::seconds(10);
  // After the wait: an absence still known as such (so stanzas still unconfirmed
  // for it are bounced, not stored offline for a user who may be online).
  static constexpr auto kForgetAfter = std::chrono::seconds(60);

  enum class State { unknown, awaited, timed_out };
  struct Found {
    std::string jid;  // full JID of the absent session
    std::uint64_t member;
  };

  // The session `full` of `member` was dropped without its member saying it ended.
  void dropped(const std::string& full, std::uint64_t member, Clock::time_point now);
  // The session is registered again (on any member): not absent any more.
  void back(const std::string& full);
  // `member` sent its own whole list: its sessions not in it really ended.
  void member_reported(std::uint64_t member);

  State state(const std::string& full, Clock::time_point now) const;
  // An awaited session for a stanza to `bare` (its full JID `full` if that one is
  // awaited, else, when `any_resource`, the first awaited one of the bare JID).
  std::optional<Found> awaited_for(std::string_view bare, std::string_view full, bool any_resource,
                                   Clock::time_point now) const;
  // Forgets absences older than kForgetAfter.
  void forget_old(Clock::time_point now);
  size_t size() const { return absent_.size(); }

 private:
  struct Absence {
    std::uint64_t member;
    Clock::time_point since;
  };
  std::map<std::string, Absence, std::less<>> absent_;  // full JID → (sorted: a bare JID's are adjacent)
};

}  // namespace convene::xmpp
