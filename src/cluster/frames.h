#pragma once
// Length-prefixed frames on a member connection: a u32 big-endian length, then
// the payload (at most 64 MiB). Shared by PeerRpc and PeerLinks.
// Threading: read_frame's `done` runs on the stream's (network) thread.
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

}  // namespace convene::cluster
