#include "cluster/cluster_messages.h"

#include "cluster/wire.h"

namespace convene::cluster {

std::string encode(const Request& r) {
  return wire::Writer().u8(static_cast<std::uint8_t>(r.type)).u64(r.id).bytes(r.address).bytes(r.payload).take();
}

std::string encode(const Response& r) {
  return wire::Writer()
      .u8(static_cast<std::uint8_t>(r.code))
      .bytes(r.payload)
      .u64(r.leader_id)
      .bytes(r.leader_address)
      .take();
}

Result<Request> decode_request(std::string_view bytes) {
  wire::Reader in(bytes);
  Request r;
  std::uint8_t type = in.u8();
  r.id = in.u64();
  r.address = in.bytes();
  r.payload = in.bytes();
  if (!in.ok() || !in.at_end() || type < 1 || type > 4) return make_error("malformed cluster request");
  r.type = static_cast<RequestType>(type);
  return r;
}

Result<Response> decode_response(std::string_view bytes) {
  wire::Reader in(bytes);
  Response r;
  std::uint8_t code = in.u8();
  r.payload = in.bytes();
  r.leader_id = in.u64();
  r.leader_address = in.bytes();
  if (!in.ok() || !in.at_end() || code > 3) return make_error("malformed cluster response");
  r.code = static_cast<ResponseCode>(code);
  return r;
}

Response error_response(std::string message) {
  Response r;
  r.code = ResponseCode::error;
  r.payload = std::move(message);
  return r;
}

}  // namespace convene::cluster
