#include "xmpp/unanswered_stanzas.h"

#include <algorithm>

namespace convene::xmpp {

std::string stanza_attribute(std::string_view bytes, std::string_view name) {
  std::string_view head = bytes.substr(0, bytes.find('>'));
  const std::string key = std::string(name) + "=";
  for (size_t at = head.find(key); at != std::string_view::npos; at = head.find(key, at + key.size())) {
    if (at == 0 || (head[at - 1] != ' ' && head[at - 1] != '\t' && head[at - 1] != '\n')) continue;
    if (at + key.size() >= head.size()) return {};
    char quote = head[at + key.size()];
    if (quote != '\'' && quote != '"') return {};
    size_t end = head.find(quote, at + key.size() + 1);
    if (end == std::string_view::npos) return {};
    return std::string(head.substr(at + key.size() + 1, end - at - key.size() - 1));
  }
  return {};
}

std::string stanza_id(std::string_view bytes) { return stanza_attribute(bytes, "id"); }

bool UnansweredStanzas::sent(std::string_view bytes, Clock::time_point) {
  if (bytes.size() > kMaxBytes) return true;
  // Not presence: it is state, not a message. Replayed to the next holder, a join
  // (or leave) the user has since undone would make phantom occupants and spaces;
  // the next holder reads the occupants back from the service instead.
  if (bytes.substr(0, 9) == "<presence") return true;
  // Nor answers (an iq result or error for the bridge's own request, a bounce):
  // nothing answers them, and the next holder did not ask.
  if (auto type = stanza_attribute(bytes, "type"); type == "result" || type == "error") return true;
  std::lock_guard lock(mu_);
  if (taken_) return false;
  while (!entries_.empty() && (entries_.size() >= kMaxEntries || bytes_ + bytes.size() > kMaxTotalBytes)) {
    bytes_ -= entries_.front().bytes.size();
    entries_.pop_front();
    ++evicted_;
  }
  bytes_ += bytes.size();
  entries_.push_back({stanza_id(bytes), std::string(bytes)});
  return true;
}

void UnansweredStanzas::answered(std::string_view id) {
  if (id.empty()) return;
  std::lock_guard lock(mu_);
  auto same = [&](const Entry& e) { return e.id == id; };
  auto first = std::find_if(entries_.begin(), entries_.end(), same);
  if (first == entries_.end()) return;
  // The bridge handles in order: everything before its stanza was handled too.
  // Unless the id is not one stanza's: then only those carrying it go.
  auto end = std::count_if(first, entries_.end(), same) == 1 ? std::next(first) : entries_.begin();
  for (auto it = entries_.begin(); it != end; ++it) bytes_ -= it->bytes.size();
  entries_.erase(entries_.begin(), end);
  auto rest = std::remove_if(entries_.begin(), entries_.end(), same);
  for (auto it = rest; it != entries_.end(); ++it) bytes_ -= it->bytes.size();
  entries_.erase(rest, entries_.end());
}

std::vector<std::string> UnansweredStanzas::take(Clock::time_point) {
  std::lock_guard lock(mu_);
  taken_ = true;
  std::vector<std::string> out;
  for (auto& e : entries_) out.push_back(std::move(e.bytes));
  entries_.clear();
  bytes_ = 0;
  return out;
}

size_t UnansweredStanzas::evicted() const {
  std::lock_guard lock(mu_);
  return evicted_;
}

}  // namespace convene::xmpp
