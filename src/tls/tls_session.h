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
// After a TLS 1.3 handshake the session leaves OpenSSL: the traffic secrets (from
// OpenSSL's key log callback, which prepare_context() installs) go to a record layer
// of our own (tls13_records.h), the SSL object is freed, and an idle session keeps
// ~100 bytes of keys instead of ~13 KiB. The handshake reads record by record (no
// read-ahead), so no byte after the client's Finished is inside OpenSSL when it
// goes; the server sends no tickets, so our first record is number 0. TLS 1.2, or a
// suite other than the three of TLS 1.3's defaults, stays with OpenSSL throughout.
//
// Post-handshake limits of the record layer (a client may say anything once the
// handshake is done, before it logs in): a KeyUpdate must end its record (RFC 8446
// §5.1), many asking for ours get one (§4.6.3: ours is owed, sealed before our next
// record, and only when nothing else of ours waits for the socket, so a client that
// does not read cannot make us queue more), a KeyUpdate budget per time window
// (key_update_budget.h), and the AEAD usage limit per key (§5.5: ours renewed at half
// of it, the client asked to renew its own, a record beyond it refused). A failure
// names its reason in error(), and shutdown() then sends the alert it calls for
// instead of close_notify.
//
// Contract: one connection's thread calls everything; read() and write() may be
// interleaved (OpenSSL allows it on one thread with non-blocking I/O). After a
// write() that wanted to wait, call it again with the same bytes
// (SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER lets them move). While wants_write(), the
// session owes the socket bytes of its own (a KeyUpdate): call write() with no bytes
// until it is false.
#include <openssl/ssl.h>

#include <cstddef>
#include <memory>
#include <string>

#include "tls/key_update_budget.h"
#include "tls/tls13_records.h"

namespace convene::tls {

// The limits below; tests make them small.
struct TlsSessionOptions {
  KeyUpdateBudget key_updates;
  uint64_t records_per_key = Tls13Records::kRecordsPerKey;
};

class TlsSession {
 public:
  enum class Step {
    done,        // finished (read: n bytes, n > 0)
    want_read,   // wait until the socket is readable, then call again
    want_write,  // wait until the socket is writable, then call again
    closed,      // the peer ended the stream (close_notify or EOF)
    failed,      // protocol or socket error: error() says which
  };

  // Lets sessions on `ctx` leave OpenSSL after a TLS 1.3 handshake (the key log
  // callback, nothing logged anywhere) and turns session tickets off.
  static void prepare_context(SSL_CTX* ctx);
  using Options = TlsSessionOptions;
  // Server side of a session on `fd` (not owned); null if OpenSSL cannot make one.
  static std::unique_ptr<TlsSession> accept(SSL_CTX* ctx, int fd, const Options& options = {});
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
  // Frees the buffers and cipher contexts a session holds between records, if it
  // has nothing in flight; they come back with the next record.
  void release_idle_memory();
  // Whether the record layer below runs the session (false: OpenSSL).
  bool own_records() const { return records_ != nullptr; }
  // Bytes received from the socket so far, record headers and all (what a read-rate
  // limit counts: the plaintext says nothing of what a peer costs).
  uint64_t wire_bytes_read() const;
  // Sealed bytes of ours not yet on the socket, or a KeyUpdate owed.
  bool wants_write() const { return records_ && (out_sent_ < out_.size() || key_update_owed_); }
  size_t queued_bytes() const { return out_.size() - out_sent_; }
  const std::string& error() const { return error_; }

 private:
  TlsSession(SSL* ssl, int fd, const Options& options) : ssl_(ssl), fd_(fd), options_(options) {}
  static void keylog(const SSL* ssl, const char* line);
  Step classify(int ret);
  // One SSL_read_ex / SSL_write_ex call, with OpenSSL's and errno's error state clean.
  Step transfer(int (*op)(SSL*, void*, size_t, size_t*), void* data, size_t size, size_t& n);
  void leave_openssl();
  // The record layer's side of read() and write().
  Step read_records(char* buffer, size_t capacity, size_t& n);
  Step write_records(const char* data, size_t size, size_t& n);
  bool on_handshake_bytes(const char* data, size_t size);
  bool seal_key_update();
  Step send_out();
  Step failed(std::string why, uint8_t alert = Tls13Records::kInternalError);

  SSL* ssl_;  // until the session leaves OpenSSL
  int fd_;
  Options options_;
  std::string secrets_[2];  // client's, server's application traffic secret 0 (key log)
  std::unique_ptr<Tls13Records> records_;
  std::string in_;            // received bytes: records not yet opened
  size_t in_used_ = 0;        // of in_, opened already
  std::string plain_;         // decrypted bytes the caller had no room for
  std::string handshake_;     // post-handshake message bytes not yet whole
  std::string out_;           // sealed records not yet on the socket
  size_t out_sent_ = 0;       // of out_
  size_t out_plain_ = 0;      // plaintext bytes of the caller's that out_ carries
  uint64_t wire_read_ = 0;    // bytes from the socket, on our records' path
  bool peer_closed_ = false;  // close_notify received
  bool key_update_owed_ = false;        // the client asked for ours (update_requested)
  bool asked_for_read_update_ = false;  // ours asked the client to renew its worn key
  uint8_t alert_ = 0;                   // to send instead of close_notify: why we failed
  std::string error_;
};

}  // namespace convene::tls
