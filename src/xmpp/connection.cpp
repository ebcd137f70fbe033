#include "xmpp/connection.h"

#include <algorithm>
#include <deque>

#include <openssl/ssl.h>

#include "util/random.h"
#include "xml/serializer.h"

namespace convene::xmpp {

using tls::TlsSession;

namespace {
// A busy connection's own (read_busy): a chat stanza or a small burst of them; once
// a read fills it, a bulk sender's (a call bridge's fan-out to a large space), so
// that it costs no more reads than the thread's buffer did.
constexpr size_t kBusyReadBuffer = 4 * 1024;
constexpr size_t kBulkReadBuffer = 64 * 1024;
// Reads in one busy spell before a connection gets its own buffer: more than a
// login takes, so thousands of clients that log in and then stay quiet never
// allocate one (their heap would keep the holes after the release).
constexpr std::uint64_t kReadsBeforeOwnBuffer = 16;

constexpr size_t kKeepWriteCapacity = 16 * 1024;
// Output waiting for a client beyond what its socket holds. A client that reads
// nothing while others (or its own requests) fill this is disconnected: memory per
// connection stays bounded. Large enough for bursts to a slow reader; a stanza of the
// largest allowed size always fits (max_queued_output).
constexpr size_t kMaxQueuedOutput = 4 * 1024 * 1024;

size_t max_queued_output(const Limits& l) { return std::max(kMaxQueuedOutput, 2 * l.max_stanza_bytes); }

// Long enough that a chatting client keeps its buffers between messages, short
// enough that thousands of quiet ones cost little (the benchmarks measure RSS per idle connection).
constexpr auto kReleaseIdleAfter = std::chrono::seconds(2);

xml::ParserOptions parser_options(const Limits& l, std::string_view ns) {
  xml::ParserOptions o;
  o.max_stanza_bytes = l.max_stanza_bytes;
  o.max_depth = l.max_depth;
  o.content_ns = std::string(ns);
  return o;
}
}  // namespace

struct Connection::Held {
  struct Item {
    std::unique_ptr<xml::Document> doc;
    std::string raw;
  };
  std::deque<Item> items;
};

Connection::Connection(Server& server, asio::ip::tcp::socket socket, std::string_view content_ns)
    : server_(server),
      socket_(std::move(socket)),
      parser_(*this, parser_options(server.settings.limits, content_ns)),
      timer_(socket_.get_executor()),
      content_ns_(content_ns) {
  asio::error_code ec;
  auto ep = socket_.remote_endpoint(ec);
  if (!ec) {
    peer_ip_ = ep.address().to_string();
    peer_ = peer_ip_ + ":" + std::to_string(ep.port());
  } else {
    peer_ = peer_ip_ = "?";
  }
  stream_id_ = random_id(16);
}

Connection::Connection(Server& server, asio::any_io_executor executor, std::shared_ptr<StreamTransport> transport,
                       bool secure, std::string peer_ip, uint16_t peer_port, std::string_view content_ns)
    : server_(server),
      socket_(executor),
      transport_(std::move(transport)),
      secure_transport_(secure),
      parser_(*this, parser_options(server.settings.limits, content_ns)),
      timer_(executor),
      peer_(peer_ip + ":" + std::to_string(peer_port)),
      peer_ip_(std::move(peer_ip)),
      content_ns_(content_ns) {
  stream_id_ = random_id(16);
}

Connection::~Connection() {
  if (admitted_) server_.forget(this, peer_ip_);
}

void Connection::start() {
  started_ = last_read_ = bucket_time_ = std::chrono::steady_clock::now();
  bucket_ = 2.0 * server_.settings.limits.read_rate_bytes_per_second;
  asio::error_code ec;
  socket_.set_option(asio::ip::tcp::no_delay(true), ec);
  socket_.non_blocking(true, ec);
  admitted_ = server_.admit(this, weak_from_this(), peer_ip_);
  if (!admitted_) {
    server_.log->warn("refusing connection from {}: more than {} connections from this address", peer_,
                      server_.settings.limits.max_connections_per_address);
    stream_error("policy-violation", "too many connections from your address");
    return;
  }
  arm_timer();
  read_more();
}

// ---- reading -------------------------------------------------------------------

void Connection::read_more() {
  if (transport_) return;  // the carrier calls receive()
  if (closed_ || reading_ || feeding_read_ || holds_ > 0 || tls_pending_ || close_after_write_) return;
  reading_ = true;
  if (!tls_ && reads_this_spell_ >= kReadsBeforeOwnBuffer) return read_busy();
  busy_read_buffer_.reset();
  busy_read_size_ = 0;
  busy_read_filled_ = false;
  auto self = shared_from_this();
  if (tls_) {
    // Bytes already inside OpenSSL never make the socket readable: read them now
    // (posted, so a long run of them cannot nest on_read calls).
    if (tls_->pending()) {
      asio::post(socket_.get_executor(), [self] { self->tls_read(); });
    } else {
      tls_wait(asio::socket_base::wait_read, &Connection::tls_read);
    }
    return;
  }
  socket_.async_wait(asio::socket_base::wait_read, [self](const asio::error_code& ec) {
    self->reading_ = false;
    if (ec) return self->on_read(ec, nullptr, 0);
    asio::error_code rec;
    size_t n = self->socket_.read_some(asio::buffer(thread_read_buffer_), rec);
    if (rec == asio::error::would_block || rec == asio::error::try_again) return self->read_more();
    self->on_read(rec, thread_read_buffer_, n);
  });
}

// A busy connection reads into a buffer of its own: asio then keeps the socket
// registered between reads (edge-triggered) instead of re-arming it with an
// epoll_ctl for every async_wait (6-13% of a routed chat message's CPU, measured on
// two machines). Once the connection is quiet (release_idle_memory) the pending
// read is cancelled, the buffer goes, and it waits for input without one again.
void Connection::read_busy() {
  // Nothing points into the buffer now (read_more waits while on_read parses it).
  const size_t want = busy_read_filled_ ? kBulkReadBuffer : std::max(busy_read_size_, kBusyReadBuffer);
  if (!busy_read_buffer_ || busy_read_size_ != want) {
    busy_read_buffer_ = std::make_unique<char[]>(want);
    busy_read_size_ = want;
  }
  auto on_done = [self = shared_from_this()](const asio::error_code& ec, size_t n) {
    self->reading_ = false;
    if (ec == asio::error::operation_aborted && !self->closed_) return self->read_more();  // quiet now
    self->busy_read_filled_ = n == self->busy_read_size_;
    self->on_read(ec, self->busy_read_buffer_.get(), n);
  };
  socket_.async_read_some(asio::buffer(busy_read_buffer_.get(), busy_read_size_),
                          asio::bind_cancellation_slot(busy_read_cancel_.slot(), std::move(on_done)));
}

void Connection::on_read(const asio::error_code& ec, const char* data, size_t n) {
  if (closed_) return;
  if (ec) {
    if (ec != asio::error::operation_aborted)
      server_.log->debug("{}: connection closed by peer ({})", peer_, ec.message());
    teardown();
    return;
  }
  last_read_ = std::chrono::steady_clock::now();
  if (reads_this_spell_++ == 0) arm_timer();  // now also for the idle release
  if (!tls_ && read_rate_limited() && !charge(n)) return;  // under TLS, tls_read charged the records
  // A read started while the parser is still inside `data` (a hold released by a
  // stanza's handler) could land in the same buffer at once (read_busy): wait.
  feeding_read_ = true;
  feed(std::string_view(data, n));
  feeding_read_ = false;
  read_more();
}

bool Connection::charge(size_t bytes) {
  // Token bucket: refill at the configured rate, capacity two seconds' worth.
  auto now = std::chrono::steady_clock::now();
  const double rate = static_cast<double>(server_.settings.limits.read_rate_bytes_per_second);
  bucket_ = std::min(2 * rate, bucket_ + rate * std::chrono::duration<double>(now - bucket_time_).count());
  bucket_time_ = now;
  bucket_ -= static_cast<double>(bytes);
  if (bucket_ >= 0) return true;
  server_.log->warn("{}: read rate limit exceeded ({} bytes/s)", peer_,
                    server_.settings.limits.read_rate_bytes_per_second);
  stream_error("policy-violation", "read rate limit exceeded");
  return false;
}

void Connection::feed(std::string_view bytes) {
  auto self = shared_from_this();  // handlers may drop the last other reference
  if (auto err = parser_.feed(bytes)) {
    server_.log->info("{}: stream error {}: {}", peer_, xml::condition_name(err->condition), err->text);
    stream_error(xml::condition_name(err->condition), err->text);
  }
}

void Connection::receive(std::string bytes) {
  asio::post(socket_.get_executor(), [self = shared_from_this(), bytes = std::move(bytes)] {
    if (self->closed_ || self->close_after_write_) return;
    self->last_read_ = std::chrono::steady_clock::now();
    if (self->reads_this_spell_++ == 0) self->arm_timer();
    if (!self->charge(bytes.size())) return;
    self->feed(bytes);
    if (!self->closed_ && !self->close_after_write_ && !self->parser_.between_elements()) {
      self->server_.log->info("{}: stream error not-well-formed: a message ended inside an element", self->peer_);
      self->stream_error("not-well-formed", "a message must hold whole elements");
    }
  });
}

void Connection::on_stanza(xml::Element& stanza, std::string_view raw) {
  if (closed_ || close_after_write_) return;
  if (holds_ > 0 || (held_ && !held_->items.empty())) {
    if (!held_) held_ = std::make_unique<Held>();
    Held::Item item{std::make_unique<xml::Document>(), std::string(raw)};
    item.doc->set_root(&item.doc->clone(stanza));
    held_->items.push_back(std::move(item));
    return;
  }
  handle_stanza(stanza, raw);
}

void Connection::on_stream_close() {
  if (holds_ > 0 || (held_ && !held_->items.empty())) {
    close_held_ = true;
    return;
  }
  handle_close();
}

void Connection::release_hold() {
  if (holds_ > 0) --holds_;
  if (holds_ == 0) drain_backlog();
}

void Connection::drain_backlog() {
  auto self = shared_from_this();
  while (holds_ == 0 && held_ && !held_->items.empty() && !closed_ && !close_after_write_) {
    auto item = std::move(held_->items.front());
    held_->items.pop_front();
    handle_stanza(*item.doc->root(), item.raw);
  }
  if (holds_ == 0 && (!held_ || held_->items.empty())) {
    held_.reset();
    if (close_held_) {
      close_held_ = false;
      handle_close();
    }
    read_more();
  }
}

void Connection::set_authenticated() {
  authenticated_ = true;
  arm_timer();
}

// ---- writing -------------------------------------------------------------------

void Connection::send(std::string_view bytes) {
  std::lock_guard lock(out_mu_);
  if (disconnected_ || out_overflow_) return;
  size_t cap = max_queued_output(server_.settings.limits);
  if (out_.size() + bytes.size() > cap) {
    out_overflow_ = true;
    asio::post(socket_.get_executor(), [self = shared_from_this(), cap] {
      self->server_.log->warn("{}: more than {} bytes wait for a client that does not read them: disconnecting",
                              self->peer_, cap);
      self->teardown();
    });
    return;
  }
  out_.append(bytes);
  if (!write_posted_) {
    write_posted_ = true;
    asio::post(socket_.get_executor(), [self = shared_from_this()] { self->flush(); });
  }
}

void Connection::flush() {
  if (write_in_flight_) {
    std::lock_guard lock(out_mu_);
    write_posted_ = false;
    return;
  }
  {
    std::lock_guard lock(out_mu_);
    write_posted_ = false;
    if (out_.empty()) {
      if (close_after_write_ && !closed_) {
        // everything is written: close now
      } else {
        return;
      }
    } else {
      std::swap(out_, writing_);
      out_.clear();
    }
  }
  if (writing_.empty()) {
    if (tls_pending_) return;
    teardown();
    return;
  }
  if (closed_) return;
  write_in_flight_ = true;
  if (tls_ && !tls_pending_) {
    tls_written_ = 0;
    return tls_write();
  }
  if (transport_) {
    // Weak: a write the carrier still holds must not keep the stream (and a post to
    // its loop) alive after the service stopped and its loops are gone.
    return transport_->write(std::move(writing_), [weak = weak_from_this()](bool ok) {
      if (auto self = weak.lock())
        asio::post(self->socket_.get_executor(), [self, ok] {
          self->on_written(ok ? asio::error_code() : asio::error::connection_reset);
        });
    });
  }
  if (direct_writes_ < kMaxDirectWrites && write_direct()) return;
  asio::async_write(socket_, asio::buffer(writing_),
                    [self = shared_from_this()](const asio::error_code& ec, size_t) { self->on_written(ec); });
}

// The socket is non-blocking and a chat stanza nearly always fits in its buffer:
// one write now, and no asynchronous operation to allocate, register and complete
// (about 1,000 of the ~22,000 instructions convened spent per routed message, callgrind). What
// does not fit is left to async_write. on_written may flush again, which may write
// directly again: the depth counter bounds that recursion while other loops keep
// appending, then async_write's posted completion unwinds the stack.
bool Connection::write_direct() {
  asio::error_code ec;
  size_t n = socket_.write_some(asio::buffer(writing_), ec);
  if (ec == asio::error::would_block || ec == asio::error::try_again) return false;
  if (!ec && n < writing_.size()) {
    writing_.erase(0, n);
    return false;
  }
  ++direct_writes_;
  on_written(ec);
  --direct_writes_;
  return true;
}

void Connection::on_written(const asio::error_code& ec) {
  write_in_flight_ = false;
  writing_.clear();
  if (writing_.capacity() > kKeepWriteCapacity) std::string().swap(writing_);
  if (ec) {
    teardown();
    return;
  }
  bool more;
  {
    std::lock_guard lock(out_mu_);
    more = !out_.empty();
  }
  if (more) return flush();
  if (close_after_write_) return teardown();
  if (tls_pending_) {
    // <proceed/> is out: handshake (RFC 6120 §5.4.3.3).
    // The context current now: `xmpp certs` may have replaced it since <proceed/>.
    auto ctx = server_.tls();
    if (ctx) tls_ = TlsSession::accept(ctx->native_handle(), socket_.native_handle());
    if (!tls_) {
      server_.log->warn("{}: cannot start TLS (out of memory?)", peer_);
      return teardown();
    }
    tls_handshake();
  }
}

void Connection::answer_starttls() {
  if (tls_active() || !server_.tls()) {
    send("<failure xmlns='urn:ietf:params:xml:ns:xmpp-tls'/></stream:stream>");
    return stream_error({});
  }
  send("<proceed xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>");
  begin_tls();
}

void Connection::begin_tls() {
  parser_.stop();  // bytes after <starttls/> must never reach the TLS stream
  tls_pending_ = true;
}

void Connection::send_header(std::string_view from, std::string_view to) {
  out_scratch_.clear();
  xml::write_stream_open({content_ns_, to, from, stream_id_, "1.0", "en"}, out_scratch_);
  send(out_scratch_);
  header_sent_ = true;
}

void Connection::stream_error(std::string_view condition, std::string_view text) {
  if (closed_ || close_after_write_) return;
  std::string out;
  if (!header_sent_) {
    xml::write_stream_open({content_ns_, {}, server_.settings.domain, stream_id_, "1.0", {}}, out);
    header_sent_ = true;
  }
  if (!condition.empty()) {
    out += "<stream:error><";
    out += condition;
    out += " xmlns='";
    out += kStreamErrorsNs;
    out += "'/>";
    if (!text.empty()) {
      out += "<text xmlns='";
      out += kStreamErrorsNs;
      out += "'>";
      xml::escape_text(text, out);
      out += "</text>";
    }
    out += "</stream:error>";
  }
  out += xml::kStreamClose;
  send(out);
  parser_.stop();
  close_after_write_ = true;
  // Do not wait forever for a peer that does not read.
  timer_.expires_after(std::chrono::seconds(5));
  timer_.async_wait([self = shared_from_this()](const asio::error_code& ec) {
    if (!ec) self->teardown();
  });
}

void Connection::post_close(std::string condition, std::string text) {
  asio::post(socket_.get_executor(), [self = shared_from_this(), c = std::move(condition), t = std::move(text)] {
    if (c.empty()) {
      self->teardown();
    } else {
      self->stream_error(c, t);
    }
  });
}

// ---- time-outs -----------------------------------------------------------------

void Connection::arm_timer() {
  if (closed_ || close_after_write_) return;
  const auto& l = server_.settings.limits;
  auto deadline = last_read_ + std::chrono::seconds(l.idle_timeout_seconds);
  if (!authenticated_) deadline = std::min(deadline, started_ + std::chrono::seconds(l.auth_timeout_seconds));
  if (reads_this_spell_ > 0) deadline = std::min(deadline, last_read_ + kReleaseIdleAfter);
  timer_.expires_at(deadline);
  timer_.async_wait([self = shared_from_this()](const asio::error_code& ec) {
    if (!ec) self->on_timer();
  });
}

void Connection::on_timer() {
  if (closed_ || close_after_write_) return;
  const auto& l = server_.settings.limits;
  auto now = std::chrono::steady_clock::now();
  if (!authenticated_ && now >= started_ + std::chrono::seconds(l.auth_timeout_seconds)) {
    server_.log->info("{}: not authenticated within {} s", peer_, l.auth_timeout_seconds);
    stream_error("connection-timeout", "authentication time-out");
    return;
  }
  if (now >= last_read_ + std::chrono::seconds(l.idle_timeout_seconds)) {
    server_.log->info("{}: idle for {} s", peer_, l.idle_timeout_seconds);
    stream_error("connection-timeout", "idle time-out");
    return;
  }
  if (reads_this_spell_ > 0 && now >= last_read_ + kReleaseIdleAfter) release_idle_memory();
  arm_timer();
}

void Connection::release_idle_memory() {
  reads_this_spell_ = 0;
  if (reading_ && busy_read_buffer_) busy_read_cancel_.emit(asio::cancellation_type::total);
  parser_.release_memory();
  if (tls_ && !tls_pending_) tls_->release_idle_memory();
  std::string().swap(out_scratch_);
  if (!write_in_flight_) std::string().swap(writing_);
  {
    std::lock_guard lock(out_mu_);
    if (out_.empty()) std::string().swap(out_);
  }
  server_.idle_memory_released.store(true, std::memory_order_relaxed);
  server_.log->debug("{}: quiet: busy buffers given back", peer_);
}

void Connection::teardown() {
  if (closed_) return;
  closed_ = true;
  {
    std::lock_guard lock(out_mu_);
    disconnected_ = true;
    out_.clear();
  }
  asio::error_code ec;
  timer_.cancel();
  if (tls_ && !tls_pending_) tls_->shutdown();  // close_notify, if it fits in the socket now
  if (transport_) transport_->close();
  socket_.shutdown(asio::socket_base::shutdown_both, ec);
  socket_.close(ec);
  parser_.stop();
  held_.reset();
  on_disconnect();
}

}  // namespace convene::xmpp
