#pragma once
// Conversation over the admin protocol (protocol/admin_protocol.h).
#include "admin/conversation.h"
#include "protocol/admin_protocol.h"

namespace convene {

class SocketConversation : public Conversation {
 public:
  explicit SocketConversation(protocol::LineChannel& channel) : channel_(channel) {}

  void print(std::string_view text) override;
  bool confirm(std::string_view warning) override;
  std::optional<std::string> prompt_secret(std::string_view prompt) override;

 private:
  std::optional<std::string> ask(const char* kind, std::string_view text);
  protocol::LineChannel& channel_;
};

}  // namespace convene
