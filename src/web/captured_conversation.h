#pragma once
// A Conversation for commands run on behalf of the web pages and the API: it keeps
// what the command printed, answers secrets from what the request carried, and
// never confirms (a command that asks "Are you sure" is refused, not guessed at).
#include <deque>
#include <string>

#include "admin/conversation.h"

namespace convene::web {

class CapturedConversation : public Conversation {
 public:
  explicit CapturedConversation(std::deque<std::string> secrets = {}) : secrets_(std::move(secrets)) {}
  void print(std::string_view text) override {
    out_.append(text);
    out_ += '\n';
  }
  bool confirm(std::string_view) override { return false; }
  std::optional<std::string> prompt_secret(std::string_view) override {
    if (secrets_.empty()) return std::nullopt;
    std::string s = std::move(secrets_.front());
    secrets_.pop_front();
    return s;
  }
  const std::string& output() const { return out_; }

 private:
  std::deque<std::string> secrets_;
  std::string out_;
};

}  // namespace convene::web
