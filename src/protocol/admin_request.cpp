#include "protocol/admin_request.h"

namespace convene::protocol {

Result<AdminRequest> parse_admin_request(const nlohmann::json& message) {
  auto malformed = [] { return make_error("malformed admin request", "Use mmp of the same version as convened."); };
  if (!message.is_object()) return malformed();
  auto op = message.find("op");
  if (op == message.end() || !op->is_string()) return malformed();
  if (*op == "grammar") return AdminRequest{AdminRequest::Op::grammar, {}};
  if (*op != "run") return malformed();
  auto argv = message.find("argv");
  if (argv == message.end() || !argv->is_array() || argv->empty()) return malformed();
  AdminRequest request;
  for (auto& word : *argv) {
    if (!word.is_string()) return malformed();
    request.argv.push_back(word.get<std::string>());
  }
  return request;
}

}  // namespace convene::protocol
