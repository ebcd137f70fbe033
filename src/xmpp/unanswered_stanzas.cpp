#include "xmpp/unanswered_stanzas.h"

#include <algorithm>

namespace convene::xmpp {

std::string stanza_id(std::string_view bytes) {
  std::string_view head = bytes.substr(0, bytes.find('>'));
  for (size_t at = head.find("id="); at != std::string_view::npos; at = head.find("id=", at + 3)) {
    if (at == 0 || (head[at - 1] != ' ' && head[at - 1] != '\t' && head[at - 1] != '\n')) continue;
    if (at + 3 >= head.size()) return {};
    char quote = head[at + 3];
    if (quote != '\'' && quote != '"') return {};
    size_t end = head.find(quote, at + 4);
    if (end == std::string_view::npos) return {};
    return std::string(head.substr(at + 4, end - at - 4));
  }
  return {};
}

bool UnansweredStanzas::sent(std::string_view bytes, Clock::time_point now) {
  if (bytes.size() > kMaxBytes) return true;
  // Not presence: it is state, not a message. Replayed to the next holder, a join
  // (or leave) the user has since undone would make phantom occupants and spaces;
  // the next holder reads the occupants back from the service instead.
  if (bytes.substr(0, 9) == "<presence") return true;
  std::lock_guard lock(mu_);
  if (taken_) return false;
  while (!entries_.empty() && (entries_.size() >= kMaxEntries || now - entries_.front().at > kWindow))
    entries_.pop_front();
  entries_.push_back({stanza_id(bytes), std::string(bytes), now});
  return true;
}

void UnansweredStanzas::answered(std::string_view id) {
  if (id.empty()) return;
  std::lock_guard lock(mu_);
  entries_.erase(std::remove_if(entries_.begin(), entries_.end(), [&](const Entry& e) { return e.id == id; }),
                 entries_.end());
}

std::vector<std::string> UnansweredStanzas::take(Clock::time_point now) {
  std::lock_guard lock(mu_);
  taken_ = true;
  std::vector<std::string> out;
  for (auto& e : entries_)
    if (now - e.at <= kWindow) out.push_back(std::move(e.bytes));
  entries_.clear();
  return out;
}

}  // namespace convene::xmpp
