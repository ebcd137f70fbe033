#include "admin/socket_conversation.h"

namespace convene {

void SocketConversation::print(std::string_view text) {
  (void)channel_.send({{"out", std::string(text)}});
}

std::optional<std::string> SocketConversation::ask(const char* kind, std::string_view text) {
  if (!channel_.send({{kind, std::string(text)}})) return std::nullopt;
  auto reply = channel_.receive();
  if (!reply || !reply->contains("answer") || !(*reply)["answer"].is_string()) return std::nullopt;
  return (*reply)["answer"].get<std::string>();
}

bool SocketConversation::confirm(std::string_view warning) {
  auto answer = ask("confirm", warning);
  return answer && *answer == "Y";
}

std::optional<std::string> SocketConversation::prompt_secret(std::string_view prompt) {
  return ask("secret", prompt);
}

}  // namespace convene
