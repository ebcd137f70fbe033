// convene-bench's engine: one thread, one epoll set, many non-blocking TCP
// connections, each driven through a fixed XMPP client dialogue (stream, STARTTLS,
// SASL, bind, presence, ping) by the state machine in engine.cpp. The scenarios
// (load.cpp) start connections and react to the callbacks.
#pragma once
#include <netinet/in.h>
#include <openssl/ssl.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "load.h"
#include "scram_client.h"
#include "tls/tls13_records.h"

namespace convene::bench {

enum class St { connecting, features1, proceed, handshake, upgrade, auth, features2, bind, ping, online, dead };

struct Conn {
  int fd = -1;
  St st = St::connecting;
  unsigned user = 0;
  std::string in, out;
  size_t out_off = 0;
  bool pollout = false;
  uint64_t t0 = 0;
  std::unique_ptr<ScramClient> scram;
  SSL* ssl = nullptr;  // after STARTTLS, during the handshake (and after it, for TLS 1.2)
  // After a TLS 1.3 handshake: the record layer Convene's server uses (tls/tls13_records.h),
  // so the tool's share of every record is the encryption alone. cin: received records.
  std::unique_ptr<convene::tls::Tls13Records> rec;
  std::string cin;
  std::string secrets[2];  // client's, server's application traffic secret 0
  bool ws = false;       // WebSocket frames from here on (after the 101 answer)
  std::string wsin;      // received frame bytes not yet unframed
  std::string msg;       // message template to the partner
  bool marked = false;   // Engine::marker seen on this connection (once)
  size_t stamp_off = 0;  // where the 16 hex digits of the send time go
};

constexpr std::string_view kPingId = "pz9q";
class Engine {
 public:
  explicit Engine(const Options& o);
  ~Engine();

  std::vector<Conn> conns_;
  std::function<void(unsigned)> on_online, on_dead;
  // Receiver index, send stamp, and whether it is a message of type error (a bounce
  // of the receiver's own message).
  std::function<void(unsigned, uint64_t, bool)> on_message;
  std::function<void()> on_tick;                       // after every poll
  // Once online: the first time one of `markers` shows up in what a connection reads
  // (e.g. a MUC self-presence's status code 110), on_marker(idx), once per connection.
  std::vector<std::string> markers;
  std::function<void(unsigned)> on_marker;
  std::string first_error;

  void add_users(unsigned n);
  std::string user_name(unsigned idx) const { return o_.prefix + std::to_string(conns_[idx].user); }

  void start(unsigned idx);

  void close_all();

  // Sends a prebuilt string: straight to the socket when nothing is queued.
  void send(unsigned idx, std::string_view data);

  // One epoll_wait; timeout in ms.
  void poll(int timeout_ms);

 private:
  const Options& o_;
  int ep_;
  sockaddr_in addr_, addr2_;
  std::string open_, restart_, bind_, presence_, ping_;
  ScramKeyCache cache_;
  SSL_CTX* tls_ = nullptr;
  char buf_[1 << 16];
  char opened_[convene::tls::Tls13Records::kMaxCiphertext];
  std::string sealed_;

  void want_out(unsigned idx, bool on);

  // Drives the TLS handshake after <proceed/>; then restarts the stream over TLS.
  void handshake(unsigned idx);

  // TLS 1.3 and nothing read ahead: the records are ours from here on.
  void leave_openssl(Conn& c);

  // Plaintext from the socket's bytes: as they are, or opened from records.
  bool absorb(unsigned idx, const char* data, size_t size);

  void flush(unsigned idx);

  // WebSocket: one masked text frame per element (RFC 7395 §3.3.1), and the
  // server's frames back to the element bytes process() looks at.
  void frame(std::string_view element, std::string& out) const;
  bool unframe(unsigned idx);
  std::string framed_;

  void die(unsigned idx, std::string why);

  void readable(unsigned idx);

  // Linux turns quick-ack mode off again by itself, so it is set after every read.
  void ack_now(int fd);

  static bool has(std::string_view s, std::string_view m) { return s.find(m) != std::string_view::npos; }

  void process(unsigned idx);

  static uint64_t parse_hex16(const char* p);

  // Complete <message ...>...</message> stanzas: the stamp from " id='" in the start tag,
  // else from the first 16 characters of <body> (a room may give reflected messages its own id).
  void scan_messages(unsigned idx);
};

}  // namespace convene::bench
