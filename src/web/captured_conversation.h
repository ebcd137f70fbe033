#pragma once
// A Conversation for commands run on behalf of the web pages and the API: it keeps
// what the command printed, answers secrets from what the request carried, and
// confirms only when the request itself was the operator's explicit "yes" (an API
// DELETE, a page's delete button after the browser asked): otherwise a command that
// asks "Are you sure" is refused, not guessed at.
#include <deque>
#include <string>

#include "admin/conversation.h"

namespace convene::web {

class CapturedConversation : public Conversation {
 public:
  explicit CapturedConversation(std::deque<std::string> secrets = {}, bool confirmed = false)
      : secrets_(std::move(secrets)), confirmed_(confirmed) {}
  void print(std::string_view text) override {
    out_.append(text);
    out_ += '\n';
  }
  bool confirm(std::string_view) override { return confirmed_; }
  std::optional<std::string> prompt_secret(std::string_view) override {
    if (secrets_.empty()) return std::nullopt;
    std::string s = std::move(secrets_.front());
    secrets_.pop_front();
    return s;
  }
  const std::string& output() const { return out_; }

 private:
  std::deque<std::string> secrets_;
  bool confirmed_;
  std::string out_;
};

}  // namespace convene::web
