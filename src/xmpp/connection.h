#pragma once
// One TCP connection carrying one XML stream: socket (plain, or TLS after
// STARTTLS), reading, the write queue, time-outs and per-connection limits.
// ClientStream and ComponentStream add the protocol on top.
//
// Ownership and threads: a Connection is held by shared_ptr (the registry, its own
// pending operations). It runs on one io_context; everything but send() and
// post_close() must be called there.
//
// Buffers:
// - Reading waits for readability first, then reads into a buffer owned by the
//   thread, so an idle connection holds no read buffer. A busy one (many reads
//   since it was last quiet for kReleaseIdleAfter) reads into a small buffer of its
//   own, which spares an epoll_ctl per read (read_busy, connection.cpp). With TLS,
//   OpenSSL does the handshake on the socket itself (tls_session.h: no
//   asio::ssl::stream and its four buffers); after a TLS 1.3 handshake the
//   session's own record layer takes over (tls13_records.h), and an idle one keeps
//   only its keys.
// - Writes are appended to one output string (under a short mutex) and written in
//   one batch per wake-up; a burst to one peer becomes one write.
// - Documents (a stanza being parsed, a reply being built) come from the thread's
//   pool (xml/document_pool.h) and go back after use.
// - A connection silent for kReleaseIdleAfter (2 s, connection.cpp) gives back
//   what it only needs while busy: its read buffer, the parser (expat included),
//   the capacity of its output strings and the TLS session's cipher contexts and
//   buffers. The time-out timer does it, re-armed once per quiet spell, so a busy
//   connection pays nothing per read.
//
// Limits: stanza size and depth (parser), read rate (token bucket: a burst of two
// seconds' worth, then policy-violation; under TLS it counts every byte of the
// records, so records that carry no data cost as much as data), authentication
// time-out and idle time-out (connection-timeout). Each ends only this stream, with
// its stream error. The output queue is capped (kMaxQueuedOutput, connection.cpp):
// a client that does not read what it is sent is disconnected, not buffered for.
#include <asio.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "tls/tls_session.h"
#include "xml/stream_parser.h"
#include "xmpp/server.h"
#include "xmpp/stream_transport.h"

namespace convene::xmpp {

class Connection : public std::enable_shared_from_this<Connection>,
                   public xml::StreamHandler,
                   public TransportedStream {
 public:
  Connection(Server& server, asio::ip::tcp::socket socket, std::string_view content_ns);
  // A stream whose bytes travel over `transport` (stream_transport.h) instead of a
  // socket of its own; it runs on `executor` (an xmpp-io loop). `secure`: the
  // carrier is encrypted (HTTPS), so SASL PLAIN is offered and STARTTLS is not.
  Connection(Server& server, asio::any_io_executor executor, std::shared_ptr<StreamTransport> transport,
             bool secure, std::string peer_ip, uint16_t peer_port, std::string_view content_ns);
  ~Connection() override;
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Starts reading; call on the connection's thread (post it).
  void start();
  // Any thread: queue bytes for this peer.
  void send(std::string_view bytes);
  // Any thread: end the stream with this stream error condition (empty: just close).
  void post_close(std::string condition, std::string text = {});
  // TransportedStream (only for streams made with a transport).
  void receive(std::string bytes) override;
  void end(std::string condition, std::string text) override { post_close(std::move(condition), std::move(text)); }

  const std::string& peer() const { return peer_; }    // "127.0.0.1:4711"
  const std::string& peer_ip() const { return peer_ip_; }
  asio::any_io_executor executor() { return socket_.get_executor(); }
  bool closed() const { return closed_; }  // any thread
  // Any thread, once, when the service stops (after post_close): what outlives
  // the connection (a session kept for resumption) ends too.
  virtual void on_service_stop() {}

 protected:
  // ---- for subclasses, on the connection's thread ----
  // Send <stream:error/> (with our header first if none was sent) and close.
  void stream_error(std::string_view condition, std::string_view text = {});
  // Our stream header: <stream:stream from=domain id=stream_id_ version=1.0 ...>.
  void send_header(std::string_view from, std::string_view to);
  // After queuing <proceed/>: stop parsing, handshake once it is written.
  void begin_tls();
  // Answers a <starttls/>: <proceed/> and the handshake, or <failure/> and the
  // end of the stream when TLS is already on or no certificate is set.
  void answer_starttls();
  bool tls_active() const { return tls_ != nullptr || secure_transport_; }
  void stream_restart() { parser_.restart(); }
  void set_authenticated();
  // Suspend/resume processing input (while a store write this stream waits for is
  // in flight). Input arriving meanwhile is kept, in order.
  void hold() { ++holds_; }
  void release_hold();
  // Called once when the socket is gone (peer closed, error, or we closed).
  virtual void on_disconnect() = 0;
  // A stanza, in order, never while held. Element and raw bytes are valid only
  // during the call (stream_parser.h).
  virtual void handle_stanza(xml::Element& stanza, std::string_view raw) = 0;
  virtual void handle_close() = 0;  // the peer's </stream:stream>
  // Whether what this connection reads is charged to the read-rate bucket (charge).
  // Clients always are; a call bridge is not once its secret is proven: its fan-out
  // to a large space is legitimately many times a client's rate.
  virtual bool read_rate_limited() const { return true; }

 public:
  void on_stanza(xml::Element& stanza, std::string_view raw) final;
  void on_stream_close() final;

 protected:

  Server& server_;
  std::string stream_id_;
  std::string out_scratch_;

 private:
  void read_more();
  void read_busy();  // read_more() for a plain connection that reads often
  void on_read(const asio::error_code& ec, const char* data, size_t n);
  // Takes `bytes` from the read-rate bucket; false (and the stream ended) when empty.
  bool charge(size_t bytes);
  void feed(std::string_view bytes);
  void flush();
  bool write_direct();  // flush(): a write now; false leaves writing_ to async_write
  void on_written(const asio::error_code& ec);
  void arm_timer();
  void on_timer();
  void release_idle_memory();
  // TLS steps on the socket (tls_session.h, connection_tls.cpp): each runs until
  // OpenSSL must wait, then waits for the socket with async_wait and runs again.
  void tls_handshake();
  void tls_read();
  void tls_write();
  void tls_send_owed();  // the session's own bytes (a KeyUpdate), with no write of ours pending
  void tls_wait(asio::socket_base::wait_type what, void (Connection::*then)());
  void teardown();
  void drain_backlog();

  struct Held;  // stanzas received while held, copied (rare path)

  asio::ip::tcp::socket socket_;  // not opened when transport_ carries the bytes
  std::shared_ptr<StreamTransport> transport_;
  bool secure_transport_ = false;
  std::unique_ptr<tls::TlsSession> tls_;
  xml::StreamParser parser_;
  asio::steady_timer timer_;
  std::string peer_, peer_ip_;
  std::string_view content_ns_;

  // write side: out_/write_posted_/close_requested_ under out_mu_
  std::mutex out_mu_;
  std::string out_;
  bool write_posted_ = false;
  bool out_overflow_ = false;  // out_ went past the cap: the connection is being closed
  std::string writing_;
  bool write_in_flight_ = false;
  size_t tls_written_ = 0;  // of writing_, through TLS
  // flush() → write_direct() → on_written() → flush() nesting (write_direct).
  static constexpr int kMaxDirectWrites = 4;
  int direct_writes_ = 0;
  uint64_t tls_wire_charged_ = 0;  // of the session's wire_bytes_read()

  bool reading_ = false, close_after_write_ = false, tls_pending_ = false;
  bool feeding_read_ = false;  // on_read is parsing what it read (read_more waits for it)
  // Atomic: written on this connection's thread, read by closed() from others (Service::stop).
  std::atomic<bool> closed_{false};
  bool header_sent_ = false, authenticated_ = false, admitted_ = false, disconnected_ = false;
  // Reads land here, on the connection's thread, and are parsed before the next one:
  // an idle connection holds no read buffer.
  inline static thread_local char thread_read_buffer_[16 * 1024];
  // Reads since the last release_idle_memory(); above 0, the connection holds its
  // busy buffers and the timer also watches for the quiet spell that frees them.
  // 64 bits: a connection may chat for years without a quiet spell.
  std::uint64_t reads_this_spell_ = 0;
  std::unique_ptr<char[]> busy_read_buffer_;  // only while busy (read_busy)
  size_t busy_read_size_ = 0;
  bool busy_read_filled_ = false;  // the last read filled it: a bulk sender
  asio::cancellation_signal busy_read_cancel_;
  int holds_ = 0;
  std::unique_ptr<Held> held_;
  bool close_held_ = false;

  std::chrono::steady_clock::time_point started_, last_read_, bucket_time_;
  double bucket_ = 0;
};

}  // namespace convene::xmpp
