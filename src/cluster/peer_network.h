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
// A peer's identity is the id and address it claims in its hello, bound to its
// certificate by cluster/peer_identity.h: the acceptor judges the certificate
// against the claimed address (and the address the connection comes from) and
// refuses, with a log line naming the certificate, a peer whose certificate can
// be none of that; the standing it gets travels in PeerHello, and the consensus
// decides what it may do (join, requests, raft). The dialer checks nothing more
// than the chain: it dialled the address itself.
//
// Limits before a peer is authenticated (cluster/admission.h): unfinished
// handshakes per port and per address are capped, refusals are logged at most
// once per 10 s per address and reason from a bounded map, and an accept that
// fails (EMFILE, ENFILE, ENOBUFS) waits 100 ms before the next instead of
// spinning on the error.
//
// Threading: one internal thread runs the io_context; accept and dial handlers
// run on it and must not block. Methods may be called from any thread.
// Lifecycle: construct → on_accept()* → listen() → dial()* → stop() (joins the
// thread; pending handlers are destroyed without being called).
#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/ssl/stream.hpp>
#include <asio/steady_timer.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "cluster/admission.h"
#include "cluster/peer_identity.h"
#include "tls/presented_chain.h"
#include "tls/tls_context_source.h"
#include "util/result.h"

namespace convene::cluster {

// probe: a connection that only shows the certificates (PeerNetwork::probe); the
// acceptor acknowledges the hello and closes it.
enum class Channel : std::uint8_t { raft = 1, rpc = 2, messages = 3, probe = 4 };

struct PeerHello {
  Channel channel = Channel::raft;
  std::uint64_t id = 0;
  std::string address;
  // Set by the acceptor (cluster/peer_identity.h); a dialer's own hello is
  // trusted. `subject` is the certificate's, for log lines.
  PeerStanding standing = PeerStanding::trusted;
  std::string subject;
};

using TlsStream = asio::ssl::stream<asio::ip::tcp::socket>;

// How long data sent on a cluster connection may stay unacknowledged before the
// kernel ends the connection (TCP_USER_TIMEOUT, set on both ends). Why: across a
// partition packets are dropped, not refused, so a connection made before it
// keeps retransmitting with a doubling back-off (0.2, 0.4, ... 12.8 s) and, once
// healed, carries nothing until its next retry: a 15 s cut kept a member from its
// leader 10 s after the heal. Ended instead, the link is dialled afresh (raft's
// transport and the message links redial within tens of ms), which succeeds as
// soon as the cut heals. Acknowledgements come from the peer's kernel, not its
// process, so a busy or stopped peer is not cut off by this (unless its receive
// buffer is full).
inline constexpr std::chrono::milliseconds kUnacknowledgedLimit{2000};

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
  // What the member at `address` presents now: a connection on Channel::probe
  // (TLS handshake and hello, then closed by both sides), whose peer certificate
  // chain `done` gets on the network thread, or the reason there is none.
  void probe(const std::string& address, std::function<void(Result<tls::PresentedChain>)> done,
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
  std::shared_ptr<HandshakeGate> gate_ = std::make_shared<HandshakeGate>();
  RefusalLog refusals_;
  asio::steady_timer accept_retry_;
  std::thread thread_;
};

}  // namespace convene::cluster
