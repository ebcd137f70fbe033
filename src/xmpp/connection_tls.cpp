// The TLS steps of a Connection (connection.h): OpenSSL reads and writes the
// socket itself (tls_session.h); each step runs until OpenSSL must wait, then waits
// for the socket with async_wait and runs again.
#include "xmpp/connection.h"

namespace convene::xmpp {

using tls::TlsSession;

void Connection::tls_wait(asio::socket_base::wait_type what, void (Connection::*then)()) {
  socket_.async_wait(what, [self = shared_from_this(), then](const asio::error_code& ec) {
    if (self->closed_) return;
    if (ec) {
      self->reading_ = false;
      return self->on_read(ec, nullptr, 0);
    }
    ((*self).*then)();
  });
}

void Connection::tls_read() {
  if (closed_) return;
  size_t n = 0;
  auto step = tls_->read(thread_read_buffer_, sizeof thread_read_buffer_, n);
  if (step != TlsSession::Step::failed) {
    uint64_t wire = tls_->wire_bytes_read();
    size_t arrived = size_t(wire - tls_wire_charged_);
    tls_wire_charged_ = wire;
    if (read_rate_limited() && !charge(arrived)) {
      reading_ = false;
      return;
    }
    if (tls_->wants_write()) tls_send_owed();
  }
  switch (step) {
    case TlsSession::Step::done:
      reading_ = false;
      return on_read({}, thread_read_buffer_, n);
    case TlsSession::Step::want_read: return tls_wait(asio::socket_base::wait_read, &Connection::tls_read);
    case TlsSession::Step::want_write: return tls_wait(asio::socket_base::wait_write, &Connection::tls_read);
    case TlsSession::Step::closed:
      reading_ = false;
      return on_read(asio::error::eof, nullptr, 0);
    case TlsSession::Step::failed:
      reading_ = false;
      server_.log->info("{}: TLS error: {}", peer_, tls_->error());
      return on_read(asio::error::connection_reset, nullptr, 0);
  }
}

void Connection::tls_write() {
  if (closed_) return;
  auto wait = [this](asio::socket_base::wait_type what) {
    socket_.async_wait(what, [self = shared_from_this()](const asio::error_code& ec) {
      if (self->closed_) return;
      if (ec) return self->on_written(ec);
      self->tls_write();
    });
  };
  // Until our bytes are all out, and then whatever the session owes the socket.
  while (tls_written_ < writing_.size() || tls_->wants_write()) {
    size_t n = 0;
    switch (tls_->write(writing_.data() + tls_written_, writing_.size() - tls_written_, n)) {
      case TlsSession::Step::done: tls_written_ += n; break;
      case TlsSession::Step::want_write: return wait(asio::socket_base::wait_write);
      case TlsSession::Step::want_read: return wait(asio::socket_base::wait_read);
      case TlsSession::Step::closed: return on_written(asio::error::eof);
      case TlsSession::Step::failed:
        server_.log->info("{}: TLS error: {}", peer_, tls_->error());
        return on_written(asio::error::connection_reset);
    }
  }
  // Posted, as asio::async_write would: on_written may flush again, and a peer
  // others keep writing to must not grow this stack.
  asio::post(socket_.get_executor(), [self = shared_from_this()] { self->on_written({}); });
}

void Connection::tls_send_owed() {
  if (closed_ || write_in_flight_) return;
  write_in_flight_ = true;  // writing_ is empty: tls_write sends only the session's bytes
  tls_written_ = 0;
  tls_write();
}

void Connection::tls_handshake() {
  if (closed_) return;
  auto wait = [this](asio::socket_base::wait_type what) {
    socket_.async_wait(what, [self = shared_from_this()](const asio::error_code& ec) {
      if (self->closed_) return;
      if (ec) return self->teardown();
      self->tls_handshake();
    });
  };
  switch (tls_->handshake()) {
    case TlsSession::Step::done:
      tls_pending_ = false;
      parser_.restart();
      header_sent_ = false;
      read_more();
      return flush();
    case TlsSession::Step::want_read: return wait(asio::socket_base::wait_read);
    case TlsSession::Step::want_write: return wait(asio::socket_base::wait_write);
    case TlsSession::Step::closed:
    case TlsSession::Step::failed:
      server_.log->info("{}: TLS handshake failed: {}", peer_,
                        tls_->error().empty() ? std::string("connection closed") : tls_->error());
      return teardown();
  }
}

}  // namespace convene::xmpp
