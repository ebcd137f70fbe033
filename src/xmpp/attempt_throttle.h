#pragma once
// Back-off per key (a peer's address, an account) after failed attempts: password
// guesses (SASL), wrong component handshakes, and in-band registrations.
//
// Each key has a count of recent attempts. The first `free_attempts` may follow one
// another at once; the last of them, and each one after, closes the key for a
// delay that doubles from `initial_delay` up to `max_delay` (attempts made while
// it is closed are refused by the caller, and not counted). A key with no attempt for `forget_after` is
// forgotten, and a success forgets it at once (forget()). So a guessing loop is
// slowed to one try per max_delay at most, while a user who mistyped twice is never
// held up; nothing is locked out for good.
//
// Memory is bounded: at most `max_keys` entries. When full, the entry touched
// longest ago goes; an attacker cycling through source addresses can only make the
// table forget, never grow.
//
// Pure over time (every call takes `now`), so unit tests need no clock.
// Thread-safety: one mutex; any thread.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <list>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

namespace convene::xmpp {

class AttemptThrottle {
 public:
  using Clock = std::chrono::steady_clock;
  using Duration = std::chrono::milliseconds;

  struct Policy {
    unsigned free_attempts = 3;
    Duration initial_delay{1000};
    Duration max_delay{60000};
    Duration forget_after{std::chrono::minutes(15)};  // at least max_delay
    size_t max_keys = 10000;
  };

  explicit AttemptThrottle(Policy policy) : policy_(policy) {}

  // How long `key` must still wait before its next attempt is taken (nullopt: now).
  std::optional<Duration> wait_for(const std::string& key, Clock::time_point now);
  // Counts an attempt (a failure, or a registration) of `key`; returns the delay it
  // earned (zero while within the free attempts).
  Duration record(const std::string& key, Clock::time_point now);
  // A success: `key` starts afresh.
  void forget(const std::string& key);

  size_t size() const;
  // How many attempts were refused by wait_for (an operator's "how many").
  std::uint64_t refused() const;

 private:
  struct Entry {
    unsigned attempts = 0;
    Clock::time_point last;
    Clock::time_point open_at;  // no attempt before this
    std::list<std::string>::iterator lru;
  };
  void evict();  // mu_ held, table full

  const Policy policy_;
  mutable std::mutex mu_;
  std::unordered_map<std::string, Entry> entries_;
  std::list<std::string> lru_;  // most recently touched first
  std::uint64_t refused_ = 0;
};

}  // namespace convene::xmpp
