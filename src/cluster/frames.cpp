#include "cluster/frames.h"

#include <asio/read.hpp>

#include <array>

#include "cluster/wire.h"

namespace convene::cluster {

std::string frame(std::string_view payload) {
  std::string out;
  append_frame(payload, out);
  return out;
}

void append_frame(std::string_view payload, std::string& out) {
  auto n = static_cast<std::uint32_t>(payload.size());
  for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<char>((n >> shift) & 0xff));
  out.append(payload);
}

void read_frame(std::shared_ptr<TlsStream> s, std::function<void(std::error_code, std::string)> done) {
  auto head = std::make_shared<std::array<char, 4>>();
  asio::async_read(*s, asio::buffer(*head), [s, head, done](std::error_code ec, size_t) {
    if (ec) return done(ec, {});
    std::uint32_t n = wire::Reader(std::string_view(head->data(), 4)).u32();
    if (n > kMaxFrame) return done(asio::error::message_size, {});
    auto body = std::make_shared<std::string>(n, '\0');
    asio::async_read(*s, asio::buffer(*body), [body, done](std::error_code ec, size_t) {
      done(ec, ec ? std::string() : std::move(*body));
    });
  });
}

}  // namespace convene::cluster
