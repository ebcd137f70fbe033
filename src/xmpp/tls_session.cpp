#include "xmpp/tls_session.h"

#include <openssl/err.h>

#include <cerrno>
#include <climits>
#include <cstring>

namespace convene::xmpp {

std::unique_ptr<TlsSession> TlsSession::accept(SSL_CTX* ctx, int fd) {
  SSL* ssl = SSL_new(ctx);
  if (!ssl) return nullptr;
  if (SSL_set_fd(ssl, fd) != 1) {
    SSL_free(ssl);
    return nullptr;
  }
  SSL_set_accept_state(ssl);
  SSL_set_mode(ssl, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER | SSL_MODE_RELEASE_BUFFERS);
  // One read() for what the socket holds instead of two per record (header, body);
  // pending() counts what is read ahead, so the connection reads it before waiting.
  SSL_set_read_ahead(ssl, 1);
  return std::unique_ptr<TlsSession>(new TlsSession(ssl));
}

TlsSession::~TlsSession() { SSL_free(ssl_); }

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
      unsigned long e = ERR_get_error();
      char text[256];
      ERR_error_string_n(e, text, sizeof text);
      error_ = e ? text : "TLS error " + std::to_string(err);
      ERR_clear_error();
      return Step::failed;
    }
  }
}

TlsSession::Step TlsSession::handshake() {
  ERR_clear_error();
  int r = SSL_do_handshake(ssl_);
  return r == 1 ? Step::done : classify(r);
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
  return transfer(&SSL_read_ex, buffer, capacity, n);
}

TlsSession::Step TlsSession::write(const char* data, size_t size, size_t& n) {
  // SSL_write_ex takes const void*: adapt it to the one signature transfer() uses.
  auto write_ex = [](SSL* ssl, void* buf, size_t num, size_t* written) {
    return SSL_write_ex(ssl, buf, num, written);
  };
  return transfer(write_ex, const_cast<char*>(data), size, n);
}

bool TlsSession::pending() const { return SSL_has_pending(ssl_) == 1; }

void TlsSession::shutdown() {
  if (!SSL_is_init_finished(ssl_)) return;
  ERR_clear_error();
  (void)SSL_shutdown(ssl_);
  ERR_clear_error();
}

}  // namespace convene::xmpp
