#pragma once
// Mutual-TLS connections between cluster members, on Asio with its own thread.
//
// Every connection starts with a TLS handshake (both sides present a
// certificate and verify the other's against the trust bundle, see
// tls/tls_context.h), then the dialer sends a hello naming the channel and
// itself:  "CVN1" | channel u8 | node id u64 | address (u16 length + bytes),
// and the acceptor answers one byte (1 = accepted) once a handler for that
// channel exists. Refused peers (untrusted certificate, bad hello, unknown
// channel) are logged with their remote endpoint (logger "cluster").
//
// A peer's identity is the id it claims in its hello: a certificate only proves
// the peer belongs to the cluster (the seed's lab shares one certificate among
// all nodes, so a certificate cannot name a node).
//
// Threading: one internal thread runs the io_context; accept and dial handlers
// run on it and must not block. Methods may be called from any thread.
// Lifecycle: construct → on_accept()* → listen() → dial()* → stop() (joins the
// thread; pending handlers are destroyed without being called).
#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/ssl/stream.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "tls/tls_context_source.h"
#include "util/result.h"

namespace convene::cluster {

enum class Channel : std::uint8_t { raft = 1, rpc = 2, messages = 3 };

struct PeerHello {
  Channel channel = Channel::raft;
  std::uint64_t id = 0;
  std::string address;
};

using TlsStream = asio::ssl::stream<asio::ip::tcp::socket>;

// "host:port" → (host, port); error when malformed.
Result<std::pair<std::string, std::uint16_t>> split_address(const std::string& address);

class PeerNetwork {
 public:
  using AcceptHandler = std::function<void(std::shared_ptr<TlsStream>, PeerHello)>;
  using DialHandler = std::function<void(Result<std::shared_ptr<TlsStream>>)>;

  PeerNetwork(std::shared_ptr<tls::TlsContextSource> tls, std::uint64_t self_id,
              std::string self_address);
  ~PeerNetwork();

  // Registers the handler of incoming connections on `channel` (before listen()).
  void on_accept(Channel channel, AcceptHandler handler);
  // Binds and listens on this node's address.
  Status listen();
  // Connects to `address` on `channel`; `done` runs on the network thread with
  // the established stream or the reason it failed (within `timeout`).
  void dial(const std::string& address, Channel channel, DialHandler done,
            std::chrono::milliseconds timeout = std::chrono::milliseconds(2000));
  asio::io_context& io() { return io_; }
  std::uint64_t self_id() const { return self_id_; }
  void stop();

 private:
  void accept_next();
  void handshake_incoming(asio::ip::tcp::socket socket);
  std::shared_ptr<TlsStream> track(std::shared_ptr<TlsStream> stream);  // any thread

  std::shared_ptr<tls::TlsContextSource> tls_;
  std::uint64_t self_id_;
  std::string self_address_;
  asio::io_context io_;
  asio::executor_work_guard<asio::io_context::executor_type> work_;
  asio::ip::tcp::acceptor acceptor_;
  std::mutex mutex_;
  std::map<Channel, AcceptHandler> handlers_;
  std::vector<std::weak_ptr<TlsStream>> streams_;  // every connection made, closed by stop()
  size_t live_streams_hint_ = 0;
  std::map<std::string, std::chrono::steady_clock::time_point> refusal_logged_;  // network thread
  std::thread thread_;
};

}  // namespace convene::cluster
