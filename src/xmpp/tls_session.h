#pragma once
// TLS straight on a connection's non-blocking socket: OpenSSL reads and writes the
// file descriptor itself; the caller waits for readiness (asio async_wait) when
// told to.
//
// Why not asio::ssl::stream: it keeps two 17 KiB buffers of its own plus a BIO pair
// with two more, for the life of every connection, idle or not (measured: 81 KiB
// RSS per idle TLS connection against 3 KiB without TLS). Here OpenSSL's own record
// buffers are the only ones, and SSL_MODE_RELEASE_BUFFERS gives them back whenever
// a connection has nothing in flight. Decrypted bytes go into the caller's (per
// thread) buffer, as on the plain path.
//
// Contract: one connection's thread calls everything; read() and write() may be
// interleaved (OpenSSL allows it on one thread with non-blocking I/O). After a
// write() that wanted to wait, call it again with the same bytes
// (SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER lets them move).
#include <openssl/ssl.h>

#include <cstddef>
#include <memory>
#include <string>

namespace convene::xmpp {

class TlsSession {
 public:
  enum class Step {
    done,        // finished (read: n bytes, n > 0)
    want_read,   // wait until the socket is readable, then call again
    want_write,  // wait until the socket is writable, then call again
    closed,      // the peer ended the stream (close_notify or EOF)
    failed,      // protocol or socket error: error() says which
  };

  // Server side of a session on `fd` (not owned); null if OpenSSL cannot make one.
  static std::unique_ptr<TlsSession> accept(SSL_CTX* ctx, int fd);
  ~TlsSession();
  TlsSession(const TlsSession&) = delete;
  TlsSession& operator=(const TlsSession&) = delete;

  Step handshake();
  Step read(char* buffer, size_t capacity, size_t& n);
  Step write(const char* data, size_t size, size_t& n);
  // Decrypted bytes, or bytes of a record, already inside OpenSSL: read() now, not
  // after the socket becomes readable (it may never, for these).
  bool pending() const;
  // Sends close_notify if it can at once; never waits.
  void shutdown();
  const std::string& error() const { return error_; }

 private:
  explicit TlsSession(SSL* ssl) : ssl_(ssl) {}
  Step classify(int ret);
  // One SSL_read_ex / SSL_write_ex call, with OpenSSL's and errno's error state clean.
  Step transfer(int (*op)(SSL*, void*, size_t, size_t*), void* data, size_t size, size_t& n);

  SSL* ssl_;
  std::string error_;
};

}  // namespace convene::xmpp
