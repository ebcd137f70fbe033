#include "xmpp/absent_sessions.h"

namespace convene::xmpp {

void AbsentSessions::dropped(const std::string& full, std::uint64_t member, Clock::time_point now) {
  absent_[full] = Absence{member, now};
}

void AbsentSessions::back(const std::string& full) { absent_.erase(full); }

void AbsentSessions::member_reported(std::uint64_t member) {
  for (auto it = absent_.begin(); it != absent_.end();)
    it = it->second.member == member ? absent_.erase(it) : std::next(it);
}

AbsentSessions::State AbsentSessions::state(const std::string& full, Clock::time_point now) const {
  auto it = absent_.find(full);
  if (it == absent_.end()) return State::unknown;
  return now - it->second.since < kAwaitReturn ? State::awaited : State::timed_out;
}

std::optional<AbsentSessions::Found> AbsentSessions::absent_for(std::string_view bare, std::string_view full,
                                                                bool any_resource, Clock::time_point now) const {
  auto awaited = [&](const Absence& a) { return now - a.since < kAwaitReturn; };
  std::optional<Found> over;  // the first one whose wait is over, if none is awaited
  auto consider = [&](const auto& it) -> bool {
    if (awaited(it->second)) return true;
    if (!over) over = Found{it->first, it->second.member, false};
    return false;
  };
  if (auto it = absent_.find(full); it != absent_.end() && consider(it)) return Found{it->first, it->second.member};
  if (any_resource) {
    std::string prefix = std::string(bare) + "/";
    for (auto it = absent_.lower_bound(prefix); it != absent_.end() && it->first.starts_with(prefix); ++it)
      if (consider(it)) return Found{it->first, it->second.member};
  }
  return over;
}

void AbsentSessions::forget_old(Clock::time_point now) {
  for (auto it = absent_.begin(); it != absent_.end();)
    it = now - it->second.since > kForgetAfter ? absent_.erase(it) : std::next(it);
}

std::set<std::uint64_t> AbsentSessions::members() const {
  std::set<std::uint64_t> out;
  for (auto& [jid, a] : absent_) out.insert(a.member);
  return out;
}

}  // namespace convene::xmpp
