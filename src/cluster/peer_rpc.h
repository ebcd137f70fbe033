#pragma once
// Request/response between cluster members over PeerNetwork's mutual-TLS
// connections (Channel::rpc). Frames are a u32 big-endian length then the
// payload (at most 64 MiB). A client connection carries one request and its
// response, then closes; a server connection answers requests one at a time
// until the client closes.
//
// Threading: the server handler and the client's `done` run on the network
// thread and must not block; `reply` may be called from any thread, once.
// Lifetime: the PeerNetwork must outlive this object's use; stop the network
// before destroying it.
#include <chrono>
#include <functional>
#include <string>

#include "cluster/peer_network.h"

namespace convene::cluster {

class PeerRpc {
 public:
  using Reply = std::function<void(std::string response)>;
  using Handler = std::function<void(const PeerHello& from, std::string request, Reply reply)>;
  using Done = std::function<void(Result<std::string> response)>;

  explicit PeerRpc(PeerNetwork& network) : network_(network) {}

  // Serves incoming requests with `handler` (call before PeerNetwork::listen()).
  void serve(Handler handler);
  // Sends `request` to the member at `address`; `done` gets its response or why
  // there is none (connection refused, timed out, peer closed).
  void call(const std::string& address, std::string request, std::chrono::milliseconds timeout, Done done);

 private:
  PeerNetwork& network_;
};

}  // namespace convene::cluster
