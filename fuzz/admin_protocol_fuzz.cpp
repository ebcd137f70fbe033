// What reaches the daemon over the admin socket: a line of JSON, checked into a
// request, whose words are matched against the command grammar (with its usage
// and "Did you mean" suggestions) — everything before a command's handler runs.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include <nlohmann/json.hpp>

#include "admin/command_registry.h"
#include "protocol/admin_request.h"

using namespace convene;

namespace {

const CommandRegistry& registry() {
  static const CommandRegistry r = [] {
    CommandRegistry r;
    register_all_commands(r);
    return r;
  }();
  return r;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto message = nlohmann::json::parse(std::string_view(reinterpret_cast<const char*>(data), size), nullptr, false);
  if (message.is_discarded()) return 0;
  auto request = protocol::parse_admin_request(message);
  if (!request || request->op != protocol::AdminRequest::Op::run) return 0;
  (void)registry().match(request->argv);
  return 0;
}
