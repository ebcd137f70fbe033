#include "web/websocket_frames.h"

#include <openssl/sha.h>

#include "xmpp_core/base64.h"

namespace convene::web::ws {

void FrameReader::fail(std::uint16_t code, std::string why, std::vector<Event>& events) {
  done_ = true;
  buffer_.clear();
  std::string().swap(message_);
  events.push_back({Event::Kind::fail, std::move(why), code});
}

void FrameReader::feed(std::string_view bytes, std::vector<Event>& events) {
  if (done_) return;
  buffer_.append(bytes);
  std::size_t at = 0;
  while (!done_) {
    std::string_view b(buffer_);
    b.remove_prefix(at);
    if (b.size() < 2) break;
    const auto b0 = static_cast<std::uint8_t>(b[0]), b1 = static_cast<std::uint8_t>(b[1]);
    const bool fin = b0 & 0x80;
    const auto opcode = static_cast<Opcode>(b0 & 0x0f);
    if (b0 & 0x70) return fail(kCloseProtocolError, "reserved bits set (no extension was agreed)", events);
    if (!(b1 & 0x80)) return fail(kCloseProtocolError, "unmasked frame from the client", events);
    std::uint64_t length = b1 & 0x7f;
    std::size_t header = 2;
    if (length == 126) {
      if (b.size() < 4) break;
      length = (std::uint64_t(std::uint8_t(b[2])) << 8) | std::uint8_t(b[3]);
      header = 4;
    } else if (length == 127) {
      if (b.size() < 10) break;
      length = 0;
      for (int i = 2; i < 10; ++i) length = (length << 8) | std::uint8_t(b[i]);
      header = 10;
    }
    const bool control = (b0 & 0x08) != 0;
    if (control) {
      if (opcode != Opcode::close && opcode != Opcode::ping && opcode != Opcode::pong)
        return fail(kCloseProtocolError, "unknown control opcode", events);
      if (!fin || length > 125) return fail(kCloseProtocolError, "fragmented or long control frame", events);
    } else {
      if (opcode != Opcode::continuation && opcode != Opcode::text && opcode != Opcode::binary)
        return fail(kCloseProtocolError, "unknown data opcode", events);
      if (opcode == Opcode::continuation && !in_message_)
        return fail(kCloseProtocolError, "continuation frame outside a message", events);
      if (opcode != Opcode::continuation && in_message_)
        return fail(kCloseProtocolError, "new message inside a fragmented one", events);
      // Refused from the header alone: nothing is read or kept for a message too big.
      if (length > max_message_ || message_.size() + length > max_message_)
        return fail(kCloseTooBig, "message larger than " + std::to_string(max_message_) + " bytes", events);
    }
    header += 4;  // the mask
    if (b.size() < header + length) break;
    const char* mask = b.data() + header - 4;
    std::string payload(b.substr(header, std::size_t(length)));
    for (std::size_t i = 0; i < payload.size(); ++i) payload[i] = char(payload[i] ^ mask[i % 4]);
    at += header + std::size_t(length);
    if (control) {
      if (opcode == Opcode::close) {
        Event e{Event::Kind::close, {}, 1005};
        if (payload.size() == 1) return fail(kCloseProtocolError, "close frame with a one-byte body", events);
        if (payload.size() >= 2) {
          e.code = std::uint16_t((std::uint8_t(payload[0]) << 8) | std::uint8_t(payload[1]));
          e.payload = payload.substr(2);
        }
        done_ = true;
        events.push_back(std::move(e));
        break;
      }
      events.push_back({opcode == Opcode::ping ? Event::Kind::ping : Event::Kind::pong, std::move(payload), 0});
      continue;
    }
    if (opcode != Opcode::continuation) {
      in_message_ = true;
      message_opcode_ = opcode;
    }
    message_.append(payload);
    if (fin) {
      in_message_ = false;
      events.push_back({message_opcode_ == Opcode::text ? Event::Kind::text : Event::Kind::binary,
                        std::move(message_), 0});
      message_.clear();
    }
  }
  if (done_) {
    std::string().swap(buffer_);
  } else {
    buffer_.erase(0, at);
  }
}

std::string encode_frame(Opcode opcode, std::string_view payload) {
  std::string out;
  out.reserve(payload.size() + 10);
  out.push_back(char(0x80 | std::uint8_t(opcode)));
  if (payload.size() < 126) {
    out.push_back(char(payload.size()));
  } else if (payload.size() <= 0xffff) {
    out.push_back(char(126));
    out.push_back(char(payload.size() >> 8));
    out.push_back(char(payload.size() & 0xff));
  } else {
    out.push_back(char(127));
    for (int shift = 56; shift >= 0; shift -= 8) out.push_back(char((std::uint64_t(payload.size()) >> shift) & 0xff));
  }
  out.append(payload);
  return out;
}

std::string encode_close(std::uint16_t code, std::string_view reason) {
  std::string body;
  body.push_back(char(code >> 8));
  body.push_back(char(code & 0xff));
  body.append(reason.substr(0, 123));
  return encode_frame(Opcode::close, body);
}

std::string accept_key(std::string_view client_key) {
  std::string input(client_key);
  input += "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
  unsigned char digest[SHA_DIGEST_LENGTH];
  SHA1(reinterpret_cast<const unsigned char*>(input.data()), input.size(), digest);
  return xmpp::base64_encode(std::string_view(reinterpret_cast<const char*>(digest), sizeof digest));
}

}  // namespace convene::web::ws
