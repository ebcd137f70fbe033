#pragma once
// The admin protocol between mmp and convened: newline-delimited JSON over the
// node's Unix socket (DIR/mmp.sock, mode 0600), one conversation per connection.
// JSON because it is trivial to script and to test.
//
//   mmp → daemon  {"op":"run","argv":["pki","inspect","a.cer"]}
//                 {"op":"grammar"}                  (help and completion)
//   daemon → mmp  {"out":"text"}                     output, any number
//                 {"confirm":"WARNING!!!\n..."}      mmp shows it, answers {"answer":"Y"}
//                 {"secret":"Enter callbridge secret"} mmp reads without echo, answers
//                 {"done":true,"ok":false,"error":"ERROR: ..."}  the last message
//                 {"grammar":[{"words":[..],"usage":"..","help":".."}],"node":"cms1"}
//
// Keeping the grammar in the daemon keeps one registry and leaves the shell thin:
// it never links the daemon's internals, it only renders and prompts.
#include <chrono>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "util/result.h"

namespace convene::protocol {

// Largest message accepted, so a broken peer cannot make either side buffer forever.
inline constexpr size_t kMaxMessageBytes = 16 * 1024 * 1024;

// Blocking line channel over a connected stream socket. Not thread-safe: one
// conversation, one thread.
class LineChannel {
 public:
  explicit LineChannel(int fd) : fd_(fd) {}
  ~LineChannel();
  LineChannel(const LineChannel&) = delete;
  LineChannel& operator=(const LineChannel&) = delete;

  // Bounds how long receive() and send() wait on the peer (SO_RCVTIMEO,
  // SO_SNDTIMEO); a wait that runs out ends the conversation as a lost peer would.
  void set_timeouts(std::chrono::milliseconds receive, std::chrono::milliseconds send);

  Status send(const nlohmann::json& message);
  // nullopt at end of stream, or on a malformed/oversize message.
  std::optional<nlohmann::json> receive();

 private:
  int fd_;
  std::string buffer_;
};

// Connects to a node's admin socket.
Result<int> connect_unix(const std::string& path);

}  // namespace convene::protocol
