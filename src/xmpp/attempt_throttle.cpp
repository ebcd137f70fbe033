#include "xmpp/attempt_throttle.h"

#include <algorithm>

namespace convene::xmpp {

std::optional<AttemptThrottle::Duration> AttemptThrottle::wait_for(const std::string& key, Clock::time_point now) {
  std::lock_guard lock(mu_);
  auto it = entries_.find(key);
  if (it == entries_.end()) return std::nullopt;
  if (now - it->second.last >= policy_.forget_after) {
    lru_.erase(it->second.lru);
    entries_.erase(it);
    return std::nullopt;
  }
  if (now >= it->second.open_at) return std::nullopt;
  ++refused_;
  // Rounded up, so a caller told "wait N ms" never comes back a moment too early.
  return std::chrono::ceil<Duration>(it->second.open_at - now);
}

AttemptThrottle::Duration AttemptThrottle::record(const std::string& key, Clock::time_point now) {
  std::lock_guard lock(mu_);
  auto it = entries_.find(key);
  if (it != entries_.end() && now - it->second.last >= policy_.forget_after) {
    lru_.erase(it->second.lru);
    entries_.erase(it);
    it = entries_.end();
  }
  if (it == entries_.end()) {
    if (entries_.size() >= policy_.max_keys) evict();
    lru_.push_front(key);
    it = entries_.emplace(key, Entry{0, now, now, lru_.begin()}).first;
  } else {
    lru_.splice(lru_.begin(), lru_, it->second.lru);
  }
  Entry& e = it->second;
  ++e.attempts;
  e.last = now;
  Duration delay{0};
  if (e.attempts >= policy_.free_attempts) {
    unsigned doublings = std::min(e.attempts - policy_.free_attempts, 30u);
    auto d = policy_.initial_delay.count() * (std::int64_t{1} << doublings);
    delay = Duration(std::min<std::int64_t>(d, policy_.max_delay.count()));
  }
  e.open_at = now + delay;
  return delay;
}

void AttemptThrottle::forget(const std::string& key) {
  std::lock_guard lock(mu_);
  auto it = entries_.find(key);
  if (it == entries_.end()) return;
  lru_.erase(it->second.lru);
  entries_.erase(it);
}

void AttemptThrottle::evict() {
  // The back of the list is the entry touched longest ago (expired ones are there).
  entries_.erase(lru_.back());
  lru_.pop_back();
}

size_t AttemptThrottle::size() const {
  std::lock_guard lock(mu_);
  return entries_.size();
}

std::uint64_t AttemptThrottle::refused() const {
  std::lock_guard lock(mu_);
  return refused_;
}

}  // namespace convene::xmpp
