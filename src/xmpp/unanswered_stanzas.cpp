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

bool UnansweredStanzas::worth_keeping(std::string_view bytes) {
  if (bytes.size() > kMaxBytes) return false;
  // Not presence: it is state, not a message. Replayed to the next holder, a join
  // (or leave) the user has since undone would make phantom occupants and spaces;
  // the next holder reads the occupants back from the service instead.
  if (bytes.substr(0, 9) == "<presence") return false;
  // Nor answers (an iq result or error for the bridge's own request, a bounce):
  // nothing answers them, and the next holder did not ask.
  if (auto type = stanza_attribute(bytes, "type"); type == "result" || type == "error") return false;
  return true;
}

void UnansweredStanzas::keep(Entry entry) {
  while (!entries_.empty() && (entries_.size() >= kMaxEntries || bytes_ + entry.bytes.size() > kMaxTotalBytes)) {
    bytes_ -= entries_.front().bytes.size();
    if (entries_.front().from) evicted_from_.push_back(*entries_.front().from);
    entries_.pop_front();
    ++evicted_;
  }
  bytes_ += entry.bytes.size();
  entries_.push_back(std::move(entry));
}

bool UnansweredStanzas::sent(std::string_view bytes, Clock::time_point) {
  if (!worth_keeping(bytes)) return true;
  std::lock_guard lock(mu_);
  if (taken_) return false;
  keep({stanza_id(bytes), std::string(bytes), std::nullopt});
  return true;
}

UnansweredStanzas::Forwarded UnansweredStanzas::sent_for(std::string_view bytes, Clock::time_point,
                                                         const ForwardedFrom& from) {
  using Outcome = ComponentLink::Forwarded;
  Forwarded out{Outcome::confirmed, {}};
  if (!worth_keeping(bytes)) return out;
  auto id = stanza_id(bytes);
  std::lock_guard lock(mu_);
  if (taken_) {
    out.outcome = Outcome::gone;
    return out;
  }
  if (!id.empty()) out.outcome = Outcome::awaiting_answer;
  keep({std::move(id), std::string(bytes),
        out.outcome == Outcome::awaiting_answer ? std::optional<ForwardedFrom>(from) : std::nullopt});
  out.evicted.swap(evicted_from_);
  return out;
}

std::vector<ForwardedFrom> UnansweredStanzas::answered(std::string_view id) {
  std::vector<ForwardedFrom> from;
  if (id.empty()) return from;
  std::lock_guard lock(mu_);
  auto same = [&](const Entry& e) { return e.id == id; };
  auto first = std::find_if(entries_.begin(), entries_.end(), same);
  if (first == entries_.end()) return from;
  // The bridge handles in order: everything before its stanza was handled too.
  // Unless the id is not one stanza's: then only those carrying it go.
  const auto handled = std::count_if(first, entries_.end(), same) == 1 ? first - entries_.begin() + 1 : 0;
  std::deque<Entry> rest;
  for (std::ptrdiff_t i = 0; i < std::ssize(entries_); ++i) {
    auto& e = entries_[static_cast<size_t>(i)];
    if (i < handled || same(e)) {
      bytes_ -= e.bytes.size();
      if (e.from) from.push_back(*e.from);
    } else {
      rest.push_back(std::move(e));
    }
  }
  entries_.swap(rest);
  return from;
}

UnansweredStanzas::Taken UnansweredStanzas::take(Clock::time_point) {
  std::lock_guard lock(mu_);
  taken_ = true;
  Taken out;
  out.forwarded.swap(evicted_from_);
  for (auto& e : entries_) {
    if (e.from) out.forwarded.push_back(*e.from);
    else out.again.push_back(std::move(e.bytes));
  }
  entries_.clear();
  bytes_ = 0;
  return out;
}

size_t UnansweredStanzas::evicted() const {
  std::lock_guard lock(mu_);
  return evicted_;
}

}  // namespace convene::xmpp
