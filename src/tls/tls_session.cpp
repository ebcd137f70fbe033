#include "tls/tls_session.h"

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstring>
#include <string_view>

#include "util/openssl_error.h"

namespace convene::tls {

namespace {
// Where records are read to and opened into: one per thread, as the connection's
// read buffer, so an idle session holds neither.
thread_local char socket_bytes[32 * 1024];
thread_local char opened[Tls13Records::kMaxCiphertext];
}  // namespace

void TlsSession::prepare_context(SSL_CTX* ctx) {
  SSL_CTX_set_keylog_callback(ctx, &TlsSession::keylog);
  // No TLS session resumption, as in Prosody and ejabberd (both set SSL_OP_NO_TICKET by
  // default; ejabberd turns the session cache off too): a session could only be
  // resumed on the node that issued it, and a client moved to another node, or back
  // after a restart, makes a full handshake anyway. Without tickets a login also skips
  // two encrypted tickets and their key derivation (~200 us of a ~1 ms TLS login here,
  // bench/README.md), and no record goes out under the application keys before the
  // session leaves OpenSSL, so the record layer's first record is number 0.
  SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET);
  SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
  SSL_CTX_set_num_tickets(ctx, 0);
}

// OpenSSL hands every secret of a handshake over as an NSS key log line; only the
// two application traffic secrets are kept, in the session, never written out.
void TlsSession::keylog(const SSL* ssl, const char* line) {
  auto* self = static_cast<TlsSession*>(SSL_get_app_data(ssl));
  if (!self) return;
  std::string secret;
  int which = Tls13Records::traffic_secret(line, secret);
  if (which >= 0) self->secrets_[which] = std::move(secret);
  OPENSSL_cleanse(secret.data(), secret.size());
}

std::unique_ptr<TlsSession> TlsSession::accept(SSL_CTX* ctx, int fd, const Options& options) {
  SSL* ssl = SSL_new(ctx);
  if (!ssl) return nullptr;
  if (SSL_set_fd(ssl, fd) != 1) {
    SSL_free(ssl);
    return nullptr;
  }
  SSL_set_accept_state(ssl);
  SSL_set_mode(ssl, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER | SSL_MODE_RELEASE_BUFFERS);
  // A client that drops the connection without close_notify has closed it (the XMPP
  // stream says where it ends), not failed: no alert back into a closed socket.
  SSL_set_options(ssl, SSL_OP_IGNORE_UNEXPECTED_EOF);
  std::unique_ptr<TlsSession> session(new TlsSession(ssl, fd, options));
  SSL_set_app_data(ssl, session.get());
  return session;
}

TlsSession::~TlsSession() {
  SSL_free(ssl_);
  for (auto& s : secrets_) OPENSSL_cleanse(s.data(), s.size());
}

TlsSession::Step TlsSession::failed(std::string why, uint8_t alert) {
  error_ = std::move(why);
  alert_ = alert;
  return Step::failed;
}

TlsSession::Step TlsSession::classify(int ret) {
  int err = SSL_get_error(ssl_, ret);
  switch (err) {
    case SSL_ERROR_WANT_READ: return Step::want_read;
    case SSL_ERROR_WANT_WRITE: return Step::want_write;
    case SSL_ERROR_ZERO_RETURN: return Step::closed;
    case SSL_ERROR_SYSCALL:
      if (ERR_peek_error() == 0) {
        ERR_clear_error();
        if (errno == 0 || errno == ECONNRESET || errno == EPIPE) return Step::closed;  // EOF without close_notify
        error_ = std::strerror(errno);
        return Step::failed;
      }
      [[fallthrough]];
    default: {
      error_ = ERR_peek_error() ? take_openssl_error() : "TLS error " + std::to_string(err);
      return Step::failed;
    }
  }
}

TlsSession::Step TlsSession::handshake() {
  ERR_clear_error();
  int r = SSL_do_handshake(ssl_);
  if (r != 1) return classify(r);
  leave_openssl();
  return Step::done;
}

void TlsSession::leave_openssl() {
  records_ = Tls13Records::take_over(ssl_, secrets_[0], secrets_[1]);
  for (auto& s : secrets_) {
    OPENSSL_cleanse(s.data(), s.size());
    std::string().swap(s);
  }
  if (records_) {
    records_->set_records_per_key(options_.records_per_key);
    wire_read_ = BIO_number_read(SSL_get_rbio(ssl_));
    SSL_free(ssl_);
    ssl_ = nullptr;
    return;
  }
  // OpenSSL keeps it: one read() for what the socket holds instead of two per record
  // (header, body); pending() counts what is read ahead.
  SSL_set_read_ahead(ssl_, 1);
}

TlsSession::Step TlsSession::transfer(int (*op)(SSL*, void*, size_t, size_t*), void* data, size_t size, size_t& n) {
  ERR_clear_error();
  errno = 0;
  size_t moved = 0;
  int r = op(ssl_, data, size, &moved);
  n = r == 1 ? moved : 0;
  return r == 1 ? Step::done : classify(r);
}

TlsSession::Step TlsSession::read(char* buffer, size_t capacity, size_t& n) {
  if (records_) return read_records(buffer, capacity, n);
  return transfer(&SSL_read_ex, buffer, capacity, n);
}

TlsSession::Step TlsSession::write(const char* data, size_t size, size_t& n) {
  if (records_) return write_records(data, size, n);
  // SSL_write_ex takes const void*: adapt it to the one signature transfer() uses.
  auto write_ex = [](SSL* ssl, void* buf, size_t num, size_t* written) {
    return SSL_write_ex(ssl, buf, num, written);
  };
  return transfer(write_ex, const_cast<char*>(data), size, n);
}

uint64_t TlsSession::wire_bytes_read() const {
  return ssl_ ? BIO_number_read(SSL_get_rbio(ssl_)) : wire_read_;
}

bool TlsSession::pending() const {
  if (records_)
    return !plain_.empty() || peer_closed_ || Tls13Records::has_record(std::string_view(in_).substr(in_used_));
  return SSL_has_pending(ssl_) == 1;
}

void TlsSession::shutdown() {
  if (records_) {
    // After a failure, the fatal alert it calls for; else close_notify (a warning).
    const char alert[2] = {char(alert_ ? 2 : 1), char(alert_)};
    if (records_->seal(Tls13Records::kAlert, alert, 2, out_)) (void)send_out();
    return;
  }
  if (!SSL_is_init_finished(ssl_)) return;
  ERR_clear_error();
  (void)SSL_shutdown(ssl_);
  ERR_clear_error();
}

// ---- the record layer's side ----------------------------------------------------

TlsSession::Step TlsSession::read_records(char* buffer, size_t capacity, size_t& n) {
  n = 0;
  if (!plain_.empty()) {
    n = std::min(capacity, plain_.size());
    std::memcpy(buffer, plain_.data(), n);
    plain_.erase(0, n);
    return Step::done;
  }
  if (peer_closed_) return Step::closed;
  bool received = false;
  for (;;) {
    // Whole records first, then the socket.
    size_t used = 0, size = 0;
    uint8_t type = 0;
    switch (records_->open(std::string_view(in_).substr(in_used_), used, type, opened, size)) {
      case Tls13Records::Open::failed: return failed(records_->error(), records_->alert());
      case Tls13Records::Open::need_more: break;
      case Tls13Records::Open::record: {
        in_used_ += used;
        if (in_used_ == in_.size()) in_.clear(), in_used_ = 0;
        if (!handshake_.empty() && type != Tls13Records::kHandshake)
          return failed("a handshake message interleaved with other records", Tls13Records::kUnexpectedMessage);
        if (type == Tls13Records::kApplicationData) {
          size_t take = std::min(size, capacity - n);
          std::memcpy(buffer + n, opened, take);
          n += take;
          plain_.append(opened + take, size - take);
          if (n == capacity || !plain_.empty()) return Step::done;
        } else if (type == Tls13Records::kAlert) {
          if (size == 2 && opened[1] == 0) {
            peer_closed_ = true;
            return n > 0 ? Step::done : Step::closed;
          }
          return failed(size == 2 ? "the client sent TLS alert " + std::to_string(uint8_t(opened[1]))
                                  : "a malformed TLS alert",
                        size == 2 ? 0 : Tls13Records::kDecodeError);
        } else if (type == Tls13Records::kHandshake) {
          if (!on_handshake_bytes(opened, size)) return Step::failed;
        } else {
          return failed("unexpected content type " + std::to_string(type) + " after the handshake",
                        Tls13Records::kUnexpectedMessage);
        }
        continue;
      }
    }
    // One receive per call at most: the caller counts what arrived
    // (wire_bytes_read) between calls, and a peer that keeps the socket full of
    // records without data cannot hold the thread here.
    if (n > 0 || received) return n > 0 ? Step::done : Step::want_read;
    ssize_t got = ::recv(fd_, socket_bytes, sizeof socket_bytes, 0);
    if (got > 0) {
      received = true;
      wire_read_ += uint64_t(got);
      in_.erase(0, in_used_);
      in_used_ = 0;
      in_.append(socket_bytes, size_t(got));
      continue;
    }
    if (got == 0) return Step::closed;  // EOF without close_notify, as on OpenSSL's path
    if (errno == EAGAIN || errno == EWOULDBLOCK) return Step::want_read;
    if (errno == EINTR) continue;
    if (errno == ECONNRESET || errno == EPIPE) return Step::closed;
    return failed(std::strerror(errno));
  }
}

// Post-handshake messages from a client: only KeyUpdate (RFC 8446 §4.6.3) belongs
// here (a server gets no tickets, and it asked for no certificate). `data` is one
// record's content.
bool TlsSession::on_handshake_bytes(const char* data, size_t size) {
  handshake_.append(data, size);
  if (handshake_.size() < 4) return true;  // the rest comes in the next record
  auto* h = reinterpret_cast<const unsigned char*>(handshake_.data());
  size_t length = (size_t(h[1]) << 16) | (size_t(h[2]) << 8) | h[3];
  if (h[0] != 24 || length != 1) {
    failed("unexpected handshake message " + std::to_string(h[0]) + " after the handshake",
           Tls13Records::kUnexpectedMessage);
    return false;
  }
  if (handshake_.size() < 5) return true;
  if (handshake_.size() > 5) {
    // The bytes after it were sealed under the key it retires (§5.1).
    failed("the client sent more after a KeyUpdate in the same record (a KeyUpdate must end its record)",
           Tls13Records::kUnexpectedMessage);
    return false;
  }
  unsigned char request = h[4];
  handshake_.clear();
  if (request > 1) {
    failed("malformed KeyUpdate", Tls13Records::kIllegalParameter);
    return false;
  }
  if (!options_.key_updates.take(std::chrono::steady_clock::now())) {
    failed("the client sent more than " + std::to_string(options_.key_updates.limit) + " TLS KeyUpdates in " +
               std::to_string(options_.key_updates.window.count()) + " s (the limit against key-update floods)",
           Tls13Records::kUnexpectedMessage);
    return false;
  }
  if (!records_->update_read_key()) {
    failed(records_->error());
    return false;
  }
  asked_for_read_update_ = false;
  // Ours goes with our next record (§4.6.3: before our next application data);
  // requests before it is out get that one answer.
  if (request == 1) key_update_owed_ = true;
  return true;
}

// Our KeyUpdate, under the old key, then the new one: when the client asked for it
// or our key is worn (§5.5; it also asks the client to renew a worn key of its own).
// Only when nothing else of ours waits for the socket, so out_ never holds two.
bool TlsSession::seal_key_update() {
  if (out_sent_ != out_.size()) return true;
  bool ask = records_->read_key_worn() && !asked_for_read_update_;
  if (!key_update_owed_ && !ask && !records_->write_key_worn()) return true;
  out_.clear();
  out_sent_ = 0;
  const char key_update[5] = {24, 0, 0, 1, char(ask ? 1 : 0)};
  if (!records_->seal(Tls13Records::kHandshake, key_update, sizeof key_update, out_) ||
      !records_->update_write_key()) {
    failed(records_->error());
    return false;
  }
  key_update_owed_ = false;
  asked_for_read_update_ = asked_for_read_update_ || ask;
  return true;
}

TlsSession::Step TlsSession::write_records(const char* data, size_t size, size_t& n) {
  n = 0;
  if (out_plain_ == 0) {
    // None of the caller's bytes are sealed yet: what else of ours waits goes
    // first (a KeyUpdate, owed or half sent), then up to four records of theirs; the
    // caller retries with the same bytes until they are all on the socket (the
    // contract OpenSSL's path has too).
    Step step = send_out();
    if (step != Step::done) return step;
    if (!seal_key_update()) return Step::failed;
    out_plain_ = std::min(size, 4 * Tls13Records::kMaxPlaintext);
    if (out_plain_ > 0 && !records_->seal(Tls13Records::kApplicationData, data, out_plain_, out_)) {
      out_plain_ = 0;
      return failed(records_->error());
    }
  }
  // out_plain_ stays set until its records are all out, whoever sends them, so a
  // retry never seals the same bytes twice.
  Step step = send_out();
  if (step != Step::done) return step;
  n = out_plain_;
  out_plain_ = 0;
  return Step::done;
}

TlsSession::Step TlsSession::send_out() {
  while (out_sent_ < out_.size()) {
    ssize_t put = ::send(fd_, out_.data() + out_sent_, out_.size() - out_sent_, MSG_NOSIGNAL);
    if (put > 0) {
      out_sent_ += size_t(put);
      continue;
    }
    if (put < 0 && errno == EINTR) continue;
    if (put < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return Step::want_write;
    if (put < 0 && (errno == EPIPE || errno == ECONNRESET)) return Step::closed;
    return failed(put < 0 ? std::strerror(errno) : "the socket took nothing");
  }
  out_.clear();
  out_sent_ = 0;
  return Step::done;
}

void TlsSession::release_idle_memory() {
  if (!records_) return;
  if (out_sent_ == out_.size()) {
    std::string().swap(out_);
    out_sent_ = 0;
  }
  if (in_.empty()) std::string().swap(in_);
  if (plain_.empty()) std::string().swap(plain_);
  if (handshake_.empty()) std::string().swap(handshake_);
  records_->release_contexts();
}

}  // namespace convene::tls
