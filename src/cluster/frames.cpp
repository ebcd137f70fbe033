#include "cluster/frames.h"

#include <asio/read.hpp>

#include <algorithm>
#include <array>
#include <cstring>

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

std::pair<char*, std::size_t> FrameSplitter::room() {
  if (begin_ > 0) {  // what was handed on makes room: the rest moves to the front
    std::memmove(buffer_.data(), buffer_.data() + begin_, end_ - begin_);
    end_ -= begin_;
    begin_ = 0;
  }
  if (end_ == 0 && buffer_.capacity() > (1u << 20)) std::string().swap(buffer_);  // after a large frame
  if (buffer_.size() < end_ + kRead) buffer_.resize(end_ + kRead);  // grows only with what arrived
  return {buffer_.data() + end_, kRead};
}

std::optional<std::string_view> FrameSplitter::next() {
  if (failed_ || end_ - begin_ < 4) return std::nullopt;
  std::uint32_t n = wire::Reader(std::string_view(buffer_.data() + begin_, 4)).u32();
  if (n > kMaxFrame) {
    failed_ = true;
    return std::nullopt;
  }
  if (end_ - begin_ - 4 < n) return std::nullopt;
  std::string_view payload(buffer_.data() + begin_ + 4, n);
  begin_ += 4 + n;
  return payload;
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
