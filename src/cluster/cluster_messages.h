#pragma once
// The requests members send each other through PeerRpc, and their answers.
// Pure data and codec; any thread.
#include <cstdint>
#include <string>
#include <string_view>

#include "util/result.h"

namespace convene::cluster {

enum class RequestType : std::uint8_t {
  submit = 1,          // payload = command; answered by the leader once applied
  join = 2,            // id + address: add as voter; answered by the leader once committed
  remove = 3,          // id: remove the member; answered by the leader once committed
  removed_notice = 4,  // leader → removed node: you are out, shut down
};

struct Request {
  RequestType type = RequestType::submit;
  std::uint64_t id = 0;
  std::string address;
  std::string payload;
};

enum class ResponseCode : std::uint8_t {
  ok = 0,          // payload = the state machine's result (submit) or empty
  not_leader = 1,  // leader_id/leader_address name the leader if known
  retry = 2,       // busy (e.g. a membership change in progress): try again soon
  error = 3,       // payload = what is wrong
};

struct Response {
  ResponseCode code = ResponseCode::ok;
  std::string payload;
  std::uint64_t leader_id = 0;
  std::string leader_address;
};

// An error answer: `message` says what is wrong.
Response error_response(std::string message);

std::string encode(const Request& r);
std::string encode(const Response& r);
Result<Request> decode_request(std::string_view bytes);
Result<Response> decode_response(std::string_view bytes);

}  // namespace convene::cluster
