#pragma once
// Length-prefixed frames on a member connection: a u32 big-endian length, then
// the payload (at most 64 MiB). Shared by PeerRpc and PeerLinks.
// A frame's body grows as its bytes arrive (FrameBody, FrameSplitter): the
// declared length is only a bound, so a peer that announces 64 MiB and sends
// nothing costs nothing.
// Threading: read_frame's `done` runs on the stream's (network) thread.
#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
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

// Cuts a stream of frames into payloads as its bytes arrive, however they are
// split: every frame a read brought is handed on from that one read. Why not
// read_frame per frame: on a busy link it made two TLS reads and two posted
// completions per frame, and since each handler ran alone, whatever it queued
// for the other side (a confirmation) left in a write of its own; here a read's
// frames are handled together, and what they queue leaves together.
// The buffer holds at most what arrived, plus one read's room. Pure; one thread.
class FrameSplitter {
 public:
  static constexpr std::size_t kRead = 64u << 10;
  // Room for the next read (at most kRead bytes).
  std::pair<char*, std::size_t> room();
  // `n` bytes were read into the room room() gave.
  void commit(std::size_t n) { end_ += n; }
  // The next whole frame's payload (valid until the next room()), or nothing
  // when it has not all arrived yet, or failed().
  std::optional<std::string_view> next();
  // A frame declared more than kMaxFrame: the stream is not to be trusted further.
  bool failed() const { return failed_; }
  std::size_t capacity() const { return buffer_.capacity(); }

 private:
  std::string buffer_;
  std::size_t begin_ = 0, end_ = 0;  // the bytes not yet handed on
  bool failed_ = false;
};

}  // namespace convene::cluster
