#pragma once
// Length-prefixed frames on a member connection: a u32 big-endian length, then
// the payload (at most 64 MiB). Shared by PeerRpc and PeerLinks.
// A frame's body grows as its bytes arrive (FrameBody): the declared length is
// only a bound, so a peer that announces 64 MiB and sends nothing costs nothing.
// Threading: read_frame's `done` runs on the stream's (network) thread.
#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <system_error>

#include "cluster/peer_network.h"

namespace convene::cluster {

inline constexpr std::uint32_t kMaxFrame = 64u << 20;

std::string frame(std::string_view payload);
// Appends one frame to `out` (to batch several into one write).
void append_frame(std::string_view payload, std::string& out);
// Reads one frame; `done(error, payload)`.
void read_frame(std::shared_ptr<TlsStream> stream, std::function<void(std::error_code, std::string)> done);

// The body of one frame being read: where the next bytes go (at most kChunk at
// a time), grown only by what arrived. Pure; one thread.
class FrameBody {
 public:
  static constexpr std::size_t kChunk = 64u << 10;
  explicit FrameBody(std::uint32_t declared) : declared_(declared) {}
  // Room for the next read (empty when complete()).
  std::pair<char*, std::size_t> next();
  // `n` bytes were read into the room next() gave.
  void commit(std::size_t n);
  bool complete() const { return received_ == declared_; }
  std::size_t capacity() const { return body_.capacity(); }
  std::string take() { return std::move(body_); }

 private:
  std::uint32_t declared_;
  std::size_t received_ = 0;
  std::string body_;
};

}  // namespace convene::cluster
