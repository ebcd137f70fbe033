#pragma once
// RFC 6455 frames, server side, pure (no I/O): the opening handshake's accept key,
// a reader that turns the client's bytes into messages, and frame encoding.
//
// The reader enforces what the server must (§5.1 client frames masked, §5.2
// reserved bits clear and known opcodes, §5.5 control frames short and whole,
// §5.4 continuation only inside a fragmented message) and one limit of ours: a
// message (all its fragments) larger than max_message is refused from the frame
// header, before its payload is read or any memory is taken for it.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace convene::web::ws {

enum class Opcode : std::uint8_t { continuation = 0, text = 1, binary = 2, close = 8, ping = 9, pong = 10 };

// Close status codes used here (§7.4.1).
inline constexpr std::uint16_t kCloseNormal = 1000;
inline constexpr std::uint16_t kCloseGoingAway = 1001;
inline constexpr std::uint16_t kCloseProtocolError = 1002;
inline constexpr std::uint16_t kCloseUnsupportedData = 1003;
inline constexpr std::uint16_t kClosePolicyViolation = 1008;
inline constexpr std::uint16_t kCloseTooBig = 1009;

struct Event {
  enum class Kind { text, binary, ping, pong, close, fail } kind;
  std::string payload;      // text, binary, ping, pong: the data; close: the reason
  std::uint16_t code = 0;   // close: the peer's status (1005 when none); fail: the status to close with
};

class FrameReader {
 public:
  explicit FrameReader(std::size_t max_message) : max_message_(max_message) {}
  // Consumes `bytes`, appending one event per complete message or control frame.
  // After a `fail` event (or the peer's close) everything else is ignored.
  void feed(std::string_view bytes, std::vector<Event>& events);
  // Bytes held for a frame not yet complete (bounded by max_message plus a header).
  std::size_t buffered() const { return buffer_.size() + message_.size(); }

 private:
  void fail(std::uint16_t code, std::string why, std::vector<Event>& events);
  std::size_t max_message_;
  std::string buffer_;   // an incomplete frame
  std::string message_;  // fragments of a message so far
  bool in_message_ = false;
  Opcode message_opcode_ = Opcode::text;
  bool done_ = false;
};

// One unmasked frame with FIN set (a server never masks, §5.1).
std::string encode_frame(Opcode opcode, std::string_view payload);
std::string encode_close(std::uint16_t code, std::string_view reason = {});

// Sec-WebSocket-Accept for a Sec-WebSocket-Key (§4.2.2): base64(SHA-1(key + GUID)).
std::string accept_key(std::string_view client_key);

}  // namespace convene::web::ws
