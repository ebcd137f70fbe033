#pragma once
// The first message of an admin conversation, checked: {"op":"grammar"} or
// {"op":"run","argv":["word",...]}. A pure function from the JSON mmp sent to a
// request or an error, so the daemon never acts on a half-valid request and a
// fuzzer can call it without a socket.
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "util/result.h"

namespace convene::protocol {

struct AdminRequest {
  enum class Op { grammar, run };
  Op op = Op::run;
  std::vector<std::string> argv;  // for run: the command's words, at least one
};

Result<AdminRequest> parse_admin_request(const nlohmann::json& message);

}  // namespace convene::protocol
