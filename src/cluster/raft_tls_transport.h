#pragma once
// The raft_uv_transport that carries Canonical raft's traffic over mutual TLS.
//
// raft wants libuv streams. For every connection this transport makes a
// socketpair: raft gets one end as a uv_pipe_t on its loop, and a relay on the
// PeerNetwork's Asio thread copies bytes between the other end and the TLS
// stream. The TLS work (handshake, peer verification, hello naming the node id
// and address, refusal logging) is PeerNetwork's, on channel Channel::raft.
// Why Asio rather than OpenSSL memory BIOs on the libuv loop: the same TLS
// code (and the same reloadable context) serves the forwarding RPC and the rest
// of the server, which is built on Asio; the relay costs one extra copy through
// a local socket, which is negligible at raft's message rates.
//
// Threading: the raft_uv_transport callbacks (init, listen, connect, close) are
// called by raft on the loop thread; raft's connect/accept callbacks are
// invoked on the loop thread (results are handed over with LoopThread::post).
// last_contact() may be called from any thread.
// Ownership: the owner keeps this object alive until raft has closed
// (raft_close's callback ran), the LoopThread has stopped and the PeerNetwork
// has stopped — in that order. raft owns the uv_pipe_t handles it receives
// (allocated with raft_malloc, as raft frees them).
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>

#include "cluster/loop_thread.h"
#include "cluster/peer_network.h"
#include "cluster/raft_c.h"

namespace convene::cluster {

class RaftTlsTransport {
 public:
  RaftTlsTransport(LoopThread& loop, PeerNetwork& network);
  RaftTlsTransport(const RaftTlsTransport&) = delete;
  RaftTlsTransport& operator=(const RaftTlsTransport&) = delete;

  // The structure to hand to raft_uv_init.
  raft_uv_transport* raw() { return &transport_; }
  // True once raft (or the owner) has called close and its callback has run.
  bool closed() const { return closed_; }
  // Closes the transport if raft has not done so; `done` runs on the loop thread.
  void close(std::function<void()> done);
  // Called on the loop thread for every incoming raft connection, before raft
  // sees it: false closes it (the consensus admits members at their address, and
  // tells a removed node that it was removed).
  std::function<bool(const PeerHello& hello)> on_inbound;
  // When bytes last arrived from node `id` on any raft connection (either
  // direction), or nothing if never.
  std::optional<std::chrono::steady_clock::time_point> last_contact(std::uint64_t id) const;

 private:
  static int do_init(raft_uv_transport* t, raft_id id, const char* address);
  static int do_listen(raft_uv_transport* t, raft_uv_accept_cb cb);
  static int do_connect(raft_uv_transport* t, raft_uv_connect* req, raft_id id,
                        const char* address, raft_uv_connect_cb cb);
  static void do_close(raft_uv_transport* t, raft_uv_transport_close_cb cb);

  void close_impl(std::function<void()> done);
  // Makes the socketpair, starts the relay on the network thread; returns raft's end.
  int start_relay(std::shared_ptr<TlsStream> stream, std::uint64_t peer_id);
  uv_stream_t* wrap_fd(int fd);
  void touch(std::uint64_t id);

  LoopThread& loop_;
  PeerNetwork& network_;
  raft_uv_transport transport_{};
  raft_uv_accept_cb accept_cb_ = nullptr;
  std::map<raft_uv_connect*, raft_uv_connect_cb> pending_;  // loop thread only
  bool closing_ = false;
  bool closed_ = false;
  mutable std::mutex contact_mutex_;
  std::map<std::uint64_t, std::chrono::steady_clock::time_point> contact_;
};

}  // namespace convene::cluster
