#include "xmpp/hold_queue.h"

#include <algorithm>

namespace convene::xmpp {

bool HoldQueue::hold(std::string key, std::string bytes, Clock::time_point now) {
  if (entries_.size() >= limits_.max_count || bytes_ + bytes.size() > limits_.max_bytes) return false;
  bytes_ += bytes.size();
  entries_.push_back({std::move(key), std::move(bytes), now + limits_.wait});
  return true;
}

bool HoldQueue::holds(std::string_view key) const {
  return std::any_of(entries_.begin(), entries_.end(), [&](const Entry& e) { return e.key == key; });
}

std::vector<HoldQueue::Entry> HoldQueue::take(std::string_view key) {
  return take_if([&](const Entry& e) { return e.key == key; });
}

void HoldQueue::put_back(std::vector<Entry> entries) {
  for (auto it = entries.rbegin(); it != entries.rend(); ++it) {
    bytes_ += it->bytes.size();
    entries_.push_front(std::move(*it));
  }
}

std::vector<HoldQueue::Entry> HoldQueue::take_expired(Clock::time_point now) {
  return take_if([&](const Entry& e) { return e.deadline <= now; });
}

std::vector<std::string> HoldQueue::keys() const {
  std::vector<std::string> out;
  for (auto& e : entries_)
    if (std::find(out.begin(), out.end(), e.key) == out.end()) out.push_back(e.key);
  return out;
}

}  // namespace convene::xmpp
