#include "cluster/frames.h"

#include <asio/read.hpp>

#include <algorithm>
#include <array>

#include "cluster/wire.h"

namespace convene::cluster {
namespace {

void read_body(std::shared_ptr<TlsStream> s, std::shared_ptr<FrameBody> body,
               std::function<void(std::error_code, std::string)> done) {
  if (body->complete()) return done({}, body->take());
  auto [data, size] = body->next();
  s->async_read_some(asio::buffer(data, size), [s, body, done](std::error_code ec, size_t n) {
    if (ec) return done(ec, {});
    body->commit(n);
    read_body(s, body, done);
  });
}

}  // namespace

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

std::pair<char*, std::size_t> FrameBody::next() {
  std::size_t want = std::min<std::size_t>(kChunk, declared_ - received_);
  body_.resize(received_ + want);  // std::string grows geometrically: amortised copies
  return {body_.data() + received_, want};
}

void FrameBody::commit(std::size_t n) {
  received_ += n;
  body_.resize(received_);
}

void read_frame(std::shared_ptr<TlsStream> s, std::function<void(std::error_code, std::string)> done) {
  auto head = std::make_shared<std::array<char, 4>>();
  asio::async_read(*s, asio::buffer(*head), [s, head, done](std::error_code ec, size_t) {
    if (ec) return done(ec, {});
    std::uint32_t n = wire::Reader(std::string_view(head->data(), 4)).u32();
    if (n > kMaxFrame) return done(asio::error::message_size, {});
    read_body(s, std::make_shared<FrameBody>(n), done);
  });
}

}  // namespace convene::cluster
