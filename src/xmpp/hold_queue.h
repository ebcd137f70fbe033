#pragma once
// Stanzas waiting a short, bounded time for somewhere to go (a call bridge name
// with no holder during a takeover), in arrival order per key.
//
// Why bounded three ways: the queue lives in the server's memory while nobody
// reads it, so a stalled destination must not grow it without end (count and
// bytes), and a sender must hear back soon (the wait): what does not fit, or waits
// too long, is bounced by the caller, never dropped silently.
//
// Pure and not thread-safe: the owner locks (component_wait.h).
#include <chrono>
#include <cstddef>
#include <deque>
#include <string>
#include <string_view>
#include <vector>

namespace convene::xmpp {

class HoldQueue {
 public:
  using Clock = std::chrono::steady_clock;
  struct Limits {
    size_t max_count;
    size_t max_bytes;
    std::chrono::milliseconds wait;
  };
  struct Entry {
    std::string key;
    std::string bytes;
    Clock::time_point deadline;
  };

  explicit HoldQueue(Limits limits) : limits_(limits) {}

  // Keeps `bytes` for `key` until now + wait; false (nothing kept) when that would
  // pass the count or byte limit.
  bool hold(std::string key, std::string bytes, Clock::time_point now);
  // Whether anything waits for `key` (a newer stanza must then wait behind it).
  bool holds(std::string_view key) const;
  // Takes everything waiting for `key`, oldest first.
  std::vector<Entry> take(std::string_view key);
  // Puts entries taken by take() back in front, in their order (their delivery failed).
  void put_back(std::vector<Entry> entries);
  // Takes every entry whose deadline has passed, oldest first.
  std::vector<Entry> take_expired(Clock::time_point now);
  // The keys something waits for, each once.
  std::vector<std::string> keys() const;

  size_t count() const { return entries_.size(); }
  size_t bytes() const { return bytes_; }

 private:
  // Takes out the entries `pick` chooses, in their order; the others stay in theirs.
  template <typename Pick>
  std::vector<Entry> take_if(Pick pick) {
    std::vector<Entry> out;
    std::deque<Entry> rest;
    for (auto& e : entries_) {
      if (pick(e)) {
        bytes_ -= e.bytes.size();
        out.push_back(std::move(e));
      } else {
        rest.push_back(std::move(e));
      }
    }
    entries_ = std::move(rest);
    return out;
  }

  Limits limits_;
  std::deque<Entry> entries_;  // arrival order
  size_t bytes_ = 0;
};

}  // namespace convene::xmpp
