// convene-bench engine: one thread, one epoll set, many non-blocking TCP connections.
//
// Why no XML parser: the tool must cost much less per message than the server it
// measures (FIELD-NOTES: the kernel floor is ~4 us per message; a server adds its own
// work on top, and the tool has to stay well under its core at 100k+ messages/s). It
// talks to a server in a fixed, known dialogue (stream open, SASL, bind, presence,
// chat messages it built itself), so it only needs to find a few markers in what it
// reads: `</stream:features>`, `<success`, `<challenge`, `</jid>`, the id of its ping,
// `<message` ... `</message>` and the stamp in the id attribute it wrote. The servers'
// conformance is checked by the end-to-end tests, not here. Outgoing stanzas are
// pre-built strings; a message is a copy of its sender's template with 16 hex digits
// of send time patched in place.
#include "load.h"

#include <arpa/inet.h>
#include <malloc.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <fstream>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "scram_client.h"
#include "tls/tls13_records.h"

namespace convene::bench {
namespace {

uint64_t now_ns() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return uint64_t(ts.tv_sec) * 1'000'000'000ull + uint64_t(ts.tv_nsec);
}

double cpu_self_s() {
  rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return double(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) + double(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

// utime+stime of a process (all threads), seconds; -1 when unknown.
double cpu_of(int pid) {
  if (pid <= 0) return -1;
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string s((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  auto p = s.rfind(')');
  if (p == std::string::npos) return -1;
  // fields after ")": state(3) ... utime(14) stime(15)
  const char* c = s.c_str() + p + 2;
  unsigned long v[13] = {};
  char state;
  if (std::sscanf(c, "%c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &state, &v[0], &v[1]) != 3) return -1;
  return double(v[0] + v[1]) / double(sysconf(_SC_CLK_TCK));
}

long rss_kib(int pid) {
  if (pid <= 0) return -1;
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("VmRSS:", 0) == 0) return std::strtol(line.c_str() + 6, nullptr, 10);
  return -1;
}

void raise_fd_limit() {
  rlimit rl;
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
  }
}

// glibc gives the top of the heap back above 128 KiB free, and every new page costs a fault
// on first touch: 8% of the tool's time in TLS logins (perf), when the server is measured.
// So the tool touches 256 MiB of heap before it starts and never gives it back.
void keep_heap() {
  mallopt(M_MMAP_THRESHOLD, 32 << 20);  // glibc's upper bound
  mallopt(M_TRIM_THRESHOLD, 1 << 30);
  std::vector<void*> blocks;
  for (int i = 0; i < 256; ++i) {
    blocks.push_back(std::malloc(1 << 20));
    if (blocks.back()) std::memset(blocks.back(), 0, 1 << 20);
  }
  for (void* b : blocks) std::free(b);
}

struct Stats {
  std::vector<uint64_t> ns;
  void add(uint64_t v) { ns.push_back(v); }
  double pct_ms(double p) {
    if (ns.empty()) return 0;
    size_t i = std::min(ns.size() - 1, size_t(p * double(ns.size())));
    std::nth_element(ns.begin(), ns.begin() + long(i), ns.end());
    return double(ns[i]) / 1e6;
  }
  double max_ms() const { return ns.empty() ? 0 : double(*std::max_element(ns.begin(), ns.end())) / 1e6; }
};

// CPU shares over a window: the tool's (getrusage) and the server's (/proc), 0..1 of a core.
struct CpuWindow {
  int pid;
  uint64_t t0 = now_ns();
  double self0 = cpu_self_s(), srv0;
  explicit CpuWindow(int p) : pid(p), srv0(cpu_of(p)) {}
  double elapsed() const { return double(now_ns() - t0) / 1e9; }
  std::string report() const {
    double el = elapsed();
    char b[128];
    double srv = srv0 >= 0 ? (cpu_of(pid) - srv0) / el : -1;
    std::snprintf(b, sizeof b, " tool_cpu=%.0f%%", 100 * (cpu_self_s() - self0) / el);
    std::string r = b;
    if (srv >= 0) {
      std::snprintf(b, sizeof b, " server_cpu=%.0f%%", 100 * srv);
      r += b;
    }
    return r;
  }
  double server_cpu_s() const { return srv0 >= 0 ? cpu_of(pid) - srv0 : -1; }
};

enum class St { connecting, features1, proceed, handshake, auth, features2, bind, ping, online, dead };

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
  std::string msg;       // message template to the partner
  size_t stamp_off = 0;  // where the 16 hex digits of the send time go
};

constexpr std::string_view kStreamNs = "xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'";
constexpr std::string_view kPingId = "pz9q";

class Engine {
 public:
  explicit Engine(const Options& o) : o_(o) {
    raise_fd_limit();
    keep_heap();
    ep_ = epoll_create1(EPOLL_CLOEXEC);
    open_ = "<?xml version='1.0'?><stream:stream " + std::string(kStreamNs) + " to='" + o.domain +
            "' version='1.0'>";
    bind_ = "<iq type='set' id='bind1'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'><resource>b</resource>"
            "</bind></iq>";
    presence_ = "<presence/><iq type='get' id='" + std::string(kPingId) + "' to='" + o.domain +
                "'><ping xmlns='urn:xmpp:ping'/></iq>";
    if (!o.scram_cache.empty()) cache_.load(o.scram_cache);
    if (o.starttls) {
      // A load tool, not a client: no certificate check (the servers under test use
      // self-signed certificates); the cost measured is the server's TLS.
      tls_ = SSL_CTX_new(TLS_client_method());
      SSL_CTX_set_min_proto_version(tls_, TLS1_2_VERSION);
      SSL_CTX_set_verify(tls_, SSL_VERIFY_NONE, nullptr);
      SSL_CTX_set_mode(tls_, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
      // One read() for everything the socket holds, not two per record (header, then
      // body): readable() reads until OpenSSL wants more, so nothing stays buffered.
      SSL_CTX_set_read_ahead(tls_, 1);
      SSL_CTX_set_keylog_callback(tls_, [](const SSL* ssl, const char* line) {
        auto* c = static_cast<Conn*>(SSL_get_app_data(ssl));
        std::string secret;
        int which = convene::tls::Tls13Records::traffic_secret(line, secret);
        if (c && which >= 0) c->secrets[which] = std::move(secret);
      });
    }
    std::memset(&addr_, 0, sizeof addr_);
    addr_.sin_family = AF_INET;
    addr_.sin_port = htons(o.port);
    inet_pton(AF_INET, o.host.c_str(), &addr_.sin_addr);
    addr2_ = addr_;
    if (!o.host2.empty()) inet_pton(AF_INET, o.host2.c_str(), &addr2_.sin_addr);
  }
  ~Engine() {
    for (auto& c : conns_) {
      if (c.ssl) SSL_free(c.ssl);
      if (c.fd >= 0) ::close(c.fd);
    }
    if (tls_) SSL_CTX_free(tls_);
    ::close(ep_);
    if (!o_.scram_cache.empty() && cache_.misses()) cache_.save(o_.scram_cache);
  }

  std::vector<Conn> conns_;
  std::function<void(unsigned)> on_online, on_dead;
  std::function<void(unsigned, uint64_t)> on_message;  // receiver index, send stamp
  std::function<void()> on_tick;                       // after every poll
  std::string first_error;

  void add_users(unsigned n) {
    conns_.resize(n);
    for (unsigned i = 0; i < n; ++i) conns_[i].user = o_.first + i;
  }
  std::string user_name(unsigned idx) const { return o_.prefix + std::to_string(conns_[idx].user); }

  void start(unsigned idx) {
    Conn& c = conns_[idx];
    c.t0 = now_ns();
    c.fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (c.fd < 0) return die(idx, std::string("socket: ") + std::strerror(errno));
    int one = 1;
    setsockopt(c.fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (!o_.source.empty()) {
      sockaddr_in src{};
      src.sin_family = AF_INET;
      inet_pton(AF_INET, o_.source.c_str(), &src.sin_addr);
      ::bind(c.fd, reinterpret_cast<sockaddr*>(&src), sizeof src);
    }
    // With a second host, odd users (the second of each messaging pair) connect there.
    const sockaddr_in& to = (!o_.host2.empty() && c.user % 2 == 1) ? addr2_ : addr_;
    int r = ::connect(c.fd, reinterpret_cast<const sockaddr*>(&to), sizeof to);
    if (r < 0 && errno != EINPROGRESS) return die(idx, std::string("connect: ") + std::strerror(errno));
    epoll_event ev{};
    ev.events = EPOLLIN | EPOLLOUT;
    ev.data.u32 = idx;
    epoll_ctl(ep_, EPOLL_CTL_ADD, c.fd, &ev);
    c.pollout = true;
    c.st = St::connecting;
  }

  void close_all() {
    for (auto& c : conns_) {
      if (c.ssl) SSL_free(c.ssl);
      c.ssl = nullptr;
      c.rec.reset();
      if (c.fd >= 0) {
        ::close(c.fd);
        c.fd = -1;
      }
    }
  }

  // Sends a prebuilt string: straight to the socket when nothing is queued.
  void send(unsigned idx, std::string_view data) {
    Conn& c = conns_[idx];
    if (c.fd < 0) return;
    if (c.ssl) {  // TLS: queue, then write what the record layer takes
      c.out.append(data);
      return flush(idx);
    }
    if (c.rec) {  // sealed here, then sent as plain bytes
      sealed_.clear();
      if (!c.rec->seal(convene::tls::Tls13Records::kApplicationData, data.data(), data.size(), sealed_))
        return die(idx, "TLS: " + c.rec->error());
      data = sealed_;
    }
    if (c.out.size() == c.out_off) {
      ssize_t n = ::send(c.fd, data.data(), data.size(), MSG_NOSIGNAL);
      if (n == ssize_t(data.size())) return;
      if (n < 0) {
        if (errno != EAGAIN) return die(idx, std::string("send: ") + std::strerror(errno));
        n = 0;
      }
      data.remove_prefix(size_t(n));
    }
    c.out.append(data);
    want_out(idx, true);
  }

  // One epoll_wait; timeout in ms.
  void poll(int timeout_ms) {
    epoll_event evs[512];
    int n = epoll_wait(ep_, evs, 512, timeout_ms);
    for (int i = 0; i < n; ++i) {
      unsigned idx = evs[i].data.u32;
      Conn& c = conns_[idx];
      if (c.fd < 0) continue;
      if (c.st == St::connecting) {
        int err = 0;
        socklen_t len = sizeof err;
        getsockopt(c.fd, SOL_SOCKET, SO_ERROR, &err, &len);
        if (err) {
          die(idx, std::string("connect: ") + std::strerror(err));
          continue;
        }
        if (!(evs[i].events & (EPOLLOUT | EPOLLIN))) continue;
        c.st = St::features1;
        want_out(idx, false);
        send(idx, open_);
        continue;
      }
      if (c.st == St::handshake) {
        handshake(idx);
        continue;
      }
      if (evs[i].events & EPOLLOUT) flush(idx);
      if (evs[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR)) readable(idx);
    }
    if (on_tick) on_tick();
  }

 private:
  const Options& o_;
  int ep_;
  sockaddr_in addr_, addr2_;
  std::string open_, bind_, presence_;
  ScramKeyCache cache_;
  SSL_CTX* tls_ = nullptr;
  char buf_[1 << 16];
  char opened_[convene::tls::Tls13Records::kMaxCiphertext];
  std::string sealed_;

  void want_out(unsigned idx, bool on) {
    Conn& c = conns_[idx];
    if (c.pollout == on || c.fd < 0) return;
    c.pollout = on;
    epoll_event ev{};
    ev.events = EPOLLIN | (on ? EPOLLOUT : 0u);
    ev.data.u32 = idx;
    epoll_ctl(ep_, EPOLL_CTL_MOD, c.fd, &ev);
  }

  // Drives the TLS handshake after <proceed/>; then restarts the stream over TLS.
  void handshake(unsigned idx) {
    Conn& c = conns_[idx];
    int r = SSL_do_handshake(c.ssl);
    if (r == 1) {
      leave_openssl(c);
      c.st = St::features1;
      want_out(idx, false);
      return send(idx, open_);
    }
    int e = SSL_get_error(c.ssl, r);
    if (e == SSL_ERROR_WANT_READ) return want_out(idx, false);
    if (e == SSL_ERROR_WANT_WRITE) return want_out(idx, true);
    char why[256];
    ERR_error_string_n(ERR_get_error(), why, sizeof why);
    die(idx, std::string("TLS handshake: ") + why);
  }

  // TLS 1.3 and nothing read ahead: the records are ours from here on.
  void leave_openssl(Conn& c) {
    c.rec = convene::tls::Tls13Records::take_over(c.ssl, c.secrets[1], c.secrets[0]);
    c.secrets[0].clear();
    c.secrets[1].clear();
    if (!c.rec) return;
    SSL_free(c.ssl);
    c.ssl = nullptr;
  }

  // Plaintext from the socket's bytes: as they are, or opened from records.
  bool absorb(unsigned idx, const char* data, size_t size) {
    Conn& c = conns_[idx];
    if (!c.rec) {
      c.in.append(data, size);
      return true;
    }
    using convene::tls::Tls13Records;
    c.cin.append(data, size);
    size_t at = 0;
    for (;;) {
      size_t used = 0, plain = 0;
      uint8_t type = 0;
      auto o = c.rec->open(std::string_view(c.cin).substr(at), used, type, opened_, plain);
      if (o == Tls13Records::Open::need_more) break;
      if (o == Tls13Records::Open::failed) {
        die(idx, "TLS: " + c.rec->error());
        return false;
      }
      at += used;
      if (type == Tls13Records::kApplicationData) c.in.append(opened_, plain);
      if (type == Tls13Records::kAlert) {
        die(idx, "closed by the server");
        return false;
      }
      // kHandshake: session tickets, which the tool does not use
    }
    c.cin.erase(0, at);
    return true;
  }

  void flush(unsigned idx) {
    Conn& c = conns_[idx];
    while (c.ssl && c.out_off < c.out.size()) {
      int n = SSL_write(c.ssl, c.out.data() + c.out_off, int(c.out.size() - c.out_off));
      if (n <= 0) {
        int e = SSL_get_error(c.ssl, n);
        if (e == SSL_ERROR_WANT_WRITE || e == SSL_ERROR_WANT_READ) return want_out(idx, true);
        return die(idx, "TLS write failed");
      }
      c.out_off += size_t(n);
    }
    while (c.out_off < c.out.size()) {
      ssize_t n = ::send(c.fd, c.out.data() + c.out_off, c.out.size() - c.out_off, MSG_NOSIGNAL);
      if (n < 0) {
        if (errno == EAGAIN) return;
        return die(idx, std::string("send: ") + std::strerror(errno));
      }
      c.out_off += size_t(n);
    }
    c.out.clear();
    c.out_off = 0;
    want_out(idx, false);
  }

  void die(unsigned idx, std::string why) {
    Conn& c = conns_[idx];
    if (c.st == St::dead) return;
    if (first_error.empty()) first_error = user_name(idx) + ": " + why;
    if (c.ssl) SSL_free(c.ssl);
    c.ssl = nullptr;
    c.rec.reset();
    if (c.fd >= 0) ::close(c.fd);
    c.fd = -1;
    c.st = St::dead;
    if (on_dead) on_dead(idx);
  }

  void readable(unsigned idx) {
    Conn& c = conns_[idx];
    while (c.ssl) {
      int n = SSL_read(c.ssl, buf_, sizeof buf_);
      if (n > 0) {
        c.in.append(buf_, size_t(n));
        continue;
      }
      int e = SSL_get_error(c.ssl, n);
      if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
        ack_now(c.fd);
        return process(idx);
      }
      process(idx);
      return die(idx, e == SSL_ERROR_ZERO_RETURN ? "closed by the server" : "TLS read failed");
    }
    for (;;) {
      ssize_t n = ::recv(c.fd, buf_, sizeof buf_, 0);
      if (n > 0) {
        if (!absorb(idx, buf_, size_t(n))) return;
        if (size_t(n) < sizeof buf_) break;
        continue;
      }
      if (n < 0 && errno == EAGAIN) break;
      process(idx);
      return die(idx, n == 0 ? "closed by the server" : std::string("recv: ") + std::strerror(errno));
    }
    ack_now(c.fd);
    process(idx);
  }

  // Linux turns quick-ack mode off again by itself, so it is set after every read.
  void ack_now(int fd) {
    if (!o_.quickack) return;
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_QUICKACK, &one, sizeof one);
  }

  static bool has(std::string_view s, std::string_view m) { return s.find(m) != std::string_view::npos; }

  void process(unsigned idx) {
    Conn& c = conns_[idx];
    if (c.st == St::online) return scan_messages(idx);
    std::string_view in = c.in;
    if (has(in, "<stream:error") || has(in, "</stream:stream>"))
      return die(idx, "stream error: " + std::string(in.substr(0, 300)));
    switch (c.st) {
      case St::features1: {
        if (!has(in, "</stream:features>")) return;
        if (o_.starttls && !c.ssl && !c.rec) {
          if (!has(in, "<starttls")) return die(idx, "STARTTLS not offered: " + std::string(in.substr(0, 300)));
          c.in.clear();
          c.st = St::proceed;
          return send(idx, "<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>");
        }
        Mech m = o_.mech;
        if (m == Mech::automatic) {
          if (has(in, ">PLAIN<")) m = Mech::plain;
          else if (has(in, ">SCRAM-SHA-1<")) m = Mech::scram_sha1;
          else if (has(in, ">SCRAM-SHA-256<")) m = Mech::scram_sha256;
          else return die(idx, "no usable SASL mechanism: " + std::string(in.substr(0, 300)));
        }
        std::string user = user_name(idx);
        std::string auth = "<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='";
        if (m == Mech::plain) {
          auth += "PLAIN'>" + base64_encode(std::string(1, '\0') + user + std::string(1, '\0') + o_.password);
        } else {
          bool sha256 = m == Mech::scram_sha256;
          c.scram = std::make_unique<ScramClient>(sha256, user, o_.password,
                                                  "bn" + std::to_string(idx) + "x" + std::to_string(c.t0 & 0xffffff));
          auth += std::string(sha256 ? "SCRAM-SHA-256" : "SCRAM-SHA-1") + "'>" + base64_encode(c.scram->first());
        }
        auth += "</auth>";
        c.in.clear();
        c.st = St::auth;
        return send(idx, auth);
      }
      case St::auth: {
        if (has(in, "<failure")) return die(idx, "SASL failure: " + std::string(in.substr(0, 300)));
        if (has(in, "<success")) {
          c.in.clear();
          c.scram.reset();
          c.st = St::features2;
          return send(idx, std::string_view(open_).substr(21));  // restart without the XML declaration
        }
        auto b = in.find("<challenge");
        auto e = in.find("</challenge>");
        if (b == in.npos || e == in.npos || !c.scram) return;
        auto gt = in.find('>', b);
        std::string server_first = base64_decode(in.substr(gt + 1, e - gt - 1));
        std::string final_msg = c.scram->final_message(server_first, cache_);
        if (final_msg.empty()) return die(idx, "bad SCRAM challenge: " + server_first);
        c.in.clear();
        return send(idx, "<response xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>" + base64_encode(final_msg) +
                             "</response>");
      }
      case St::proceed:
        if (has(in, "<failure")) return die(idx, "STARTTLS refused: " + std::string(in.substr(0, 300)));
        if (!has(in, "<proceed")) return;
        c.in.clear();
        c.ssl = SSL_new(tls_);
        SSL_set_app_data(c.ssl, &c);
        SSL_set_fd(c.ssl, c.fd);
        SSL_set_connect_state(c.ssl);
        c.st = St::handshake;
        return handshake(idx);
      case St::features2:
        if (!has(in, "</stream:features>")) return;
        c.in.clear();
        c.st = St::bind;
        return send(idx, bind_);
      case St::bind:
        if (has(in, "type='error'") || has(in, "type=\"error\"")) return die(idx, "bind: " + std::string(in));
        if (!has(in, "</jid>")) return;
        c.in.clear();
        c.st = St::ping;
        return send(idx, presence_);
      case St::ping:
        if (!has(in, kPingId)) return;
        c.in.clear();
        c.st = St::online;
        if (on_online) on_online(idx);
        return;
      default:
        return;
    }
  }

  static uint64_t parse_hex16(const char* p) {
    uint64_t v = 0;
    for (int i = 0; i < 16; ++i) {
      char ch = p[i];
      unsigned d = ch >= '0' && ch <= '9' ? unsigned(ch - '0') : ch >= 'a' && ch <= 'f' ? unsigned(ch - 'a' + 10) : 99;
      if (d == 99) return 0;
      v = v << 4 | d;
    }
    return v;
  }

  // Complete <message ...>...</message> stanzas: the stamp from " id='" in the start tag.
  void scan_messages(unsigned idx) {
    Conn& c = conns_[idx];
    std::string_view in = c.in;
    size_t pos = 0;
    for (;;) {
      size_t s = in.find("<message", pos);
      if (s == in.npos) {
        if (has(in.substr(pos), "</stream:stream>") || has(in.substr(pos), "<stream:error"))
          return die(idx, "stream closed: " + std::string(in.substr(pos, 300)));
        pos = in.size() > 8 ? in.size() - 8 : 0;  // a marker may straddle two reads
        break;
      }
      size_t e = in.find("</message>", s);
      if (e == in.npos) {
        pos = s;
        break;
      }
      size_t gt = in.find('>', s);
      std::string_view tag = in.substr(s, gt - s);
      size_t id = tag.find(" id=");
      uint64_t stamp = 0;
      if (id != tag.npos && id + 5 + 16 <= tag.size()) stamp = parse_hex16(tag.data() + id + 5);
      pos = e + 10;
      if (on_message) on_message(idx, stamp);
      if (c.fd < 0) return;
    }
    c.in.erase(0, pos);
  }
};

struct LoginRun {
  unsigned online = 0, failed = 0, next = 0;
  Stats lat;
  uint64_t last_done = 0;
};

// Logs in conns [0, n) of the engine, `concurrency` at a time; returns when all are done.
LoginRun login_all(Engine& eng, const Options& o, unsigned n) {
  LoginRun r;
  eng.on_online = [&](unsigned idx) {
    r.lat.add(now_ns() - eng.conns_[idx].t0);
    ++r.online;
    r.last_done = now_ns();
    if (r.next < n) eng.start(r.next++);
  };
  eng.on_dead = [&](unsigned idx) {
    ++r.failed;
    r.last_done = now_ns();
    if (r.next < n) eng.start(r.next++);
  };
  while (r.next < n && r.next < o.concurrency) eng.start(r.next++);
  uint64_t deadline = now_ns() + uint64_t(o.timeout * 1e9);
  while (r.online + r.failed < n && now_ns() < deadline) eng.poll(5);
  return r;
}

// Message templates: sender i to partner i^1, its send time (16 hex digits) at stamp_off.
void build_message_templates(Engine& eng, const Options& o, unsigned n) {
  std::string body(o.body_bytes, 'x');
  for (unsigned i = 0; i < n; ++i) {
    Conn& c = eng.conns_[i];
    c.msg = "<message type='chat' to='" + eng.user_name(i ^ 1) + "@" + o.domain + "/b' id='";
    c.stamp_off = c.msg.size();
    c.msg += std::string(16, '0') + "'><body>" + body + "</body></message>";
  }
}

// Sends connection i's message stamped with now; false when i is gone.
bool send_stamped(Engine& eng, unsigned i) {
  Conn& c = eng.conns_[i];
  if (c.fd < 0) return false;
  uint64_t t = now_ns();
  static const char* d = "0123456789abcdef";
  for (int k = 0; k < 16; ++k) c.msg[c.stamp_off + size_t(k)] = d[(t >> (60 - 4 * k)) & 15];
  eng.send(i, c.msg);
  return true;
}

void print_error(const Engine& eng) {
  if (!eng.first_error.empty()) std::fprintf(stderr, "first error: %s\n", eng.first_error.c_str());
}

}  // namespace

int run_login(const Options& o) {
  Engine eng(o);
  eng.add_users(o.users);
  CpuWindow cpu(o.server_pid);
  uint64_t t0 = now_ns();
  auto r = login_all(eng, o, o.users);
  double el = double((r.last_done ? r.last_done : now_ns()) - t0) / 1e9;
  std::string shares = cpu.report();
  std::printf("RESULT scenario=login server=%s users=%u concurrency=%u ok=%u failed=%u elapsed_s=%.3f logins_per_s=%.0f "
              "p50_ms=%.2f p99_ms=%.2f max_ms=%.2f%s\n",
              o.label.c_str(), o.users, o.concurrency, r.online, r.failed, el, r.online / el, r.lat.pct_ms(0.5),
              r.lat.pct_ms(0.99), r.lat.max_ms(), shares.c_str());
  std::fflush(stdout);
  print_error(eng);
  eng.close_all();
  return r.online ? 0 : 1;
}

int run_idle(const Options& o) {
  long before = rss_kib(o.server_pid);
  Engine eng(o);
  eng.add_users(o.users);
  CpuWindow cpu(o.server_pid);
  auto r = login_all(eng, o, o.users);
  std::string shares = cpu.report();
  uint64_t until = now_ns() + uint64_t(o.hold * 1e9);
  while (now_ns() < until) eng.poll(50);
  long after = rss_kib(o.server_pid);
  unsigned alive = 0;
  for (auto& c : eng.conns_) alive += c.st == St::online;
  double per = (before >= 0 && after >= 0 && alive) ? double(after - before) / alive : -1;
  std::printf("RESULT scenario=idle server=%s users=%u alive=%u failed=%u rss_before_kib=%ld rss_after_kib=%ld "
              "rss_per_conn_kib=%.1f%s\n",
              o.label.c_str(), o.users, alive, r.failed, before, after, per, shares.c_str());
  std::fflush(stdout);
  print_error(eng);
  eng.close_all();
  return alive ? 0 : 1;
}

int run_messages(const Options& o) {
  const unsigned n = 2 * o.pairs;  // pair p: conns 2p and 2p+1, each sends to the other
  Engine eng(o);
  eng.add_users(n);
  auto r = login_all(eng, o, n);
  if (r.online < n) {
    std::printf("RESULT scenario=messages server=%s pairs=%u error=login online=%u failed=%u\n", o.label.c_str(),
                o.pairs, r.online, r.failed);
    print_error(eng);
    return 1;
  }
  build_message_templates(eng, o, n);
  uint64_t sent = 0, received = 0, delivered = 0, bad = 0;
  Stats lat;
  uint64_t t_start = now_ns();
  uint64_t t_measure = t_start + uint64_t(o.warmup * 1e9);
  uint64_t t_end = t_measure + uint64_t(o.duration * 1e9);
  bool sending = true;
  auto send_from = [&](unsigned i) {
    if (send_stamped(eng, i)) ++sent;
  };
  eng.on_dead = [&](unsigned) {};
  eng.on_message = [&](unsigned idx, uint64_t stamp) {
    uint64_t t = now_ns();
    ++received;
    if (!stamp || stamp > t) ++bad;
    else if (t >= t_measure && t < t_end) {
      ++delivered;
      lat.add(t - stamp);
    }
    if (o.rate <= 0 && sending) send_from(idx ^ 1);  // closed loop: the sender's next one
  };
  std::unique_ptr<CpuWindow> cpu;
  std::string shares;
  double server_s = -1;
  uint64_t rr = 0;
  eng.on_tick = [&] {
    uint64_t t = now_ns();
    if (!cpu && t >= t_measure) cpu = std::make_unique<CpuWindow>(o.server_pid);
    if (sending && t >= t_end) {
      sending = false;
      if (cpu) {
        shares = cpu->report();
        server_s = cpu->server_cpu_s();
      }
    }
    if (sending && o.rate > 0) {
      uint64_t due = uint64_t(o.rate * double(t - t_start) / 1e9);
      while (sent < due) send_from(unsigned(rr++ % n));
    }
  };
  if (o.rate <= 0)
    for (unsigned i = 0; i < n; ++i) send_from(i);
  while (sending) eng.poll(1);
  uint64_t drain_until = now_ns() + 3'000'000'000ull;
  while (received < sent && now_ns() < drain_until) eng.poll(10);
  unsigned dead = 0;
  for (auto& c : eng.conns_) dead += c.st == St::dead;
  double mps = double(delivered) / o.duration;
  char extra[96] = "";
  if (server_s >= 0 && delivered) std::snprintf(extra, sizeof extra, " server_us_per_msg=%.2f", server_s * 1e6 / delivered);
  std::printf("RESULT scenario=messages server=%s pairs=%u mode=%s rate=%.0f duration_s=%.1f delivered=%lu "
              "msgs_per_s=%.0f p50_ms=%.3f p99_ms=%.3f max_ms=%.3f sent=%lu received=%lu lost=%ld bad=%lu "
              "dead_conns=%u%s%s\n",
              o.label.c_str(), o.pairs, o.rate > 0 ? "open" : "closed", o.rate, o.duration,
              (unsigned long)delivered, mps, lat.pct_ms(0.5), lat.pct_ms(0.99), lat.max_ms(), (unsigned long)sent,
              (unsigned long)received, long(sent) - long(received), (unsigned long)bad, dead, shares.c_str(), extra);
  std::fflush(stdout);
  print_error(eng);
  eng.close_all();
  return 0;
}

int run_failover(const Options& o) {
  const unsigned n = 2 * o.pairs;
  if (o.host2.empty() || o.kill_pid <= 0 || o.rate <= 0) {
    std::fprintf(stderr, "failover needs --host2, --kill-pid and --rate (users on two nodes that survive)\n");
    return 1;
  }
  Engine eng(o);
  eng.add_users(n);
  auto r = login_all(eng, o, n);
  if (r.online < n) {
    std::printf("RESULT scenario=failover server=%s pairs=%u error=login online=%u failed=%u\n", o.label.c_str(),
                o.pairs, r.online, r.failed);
    print_error(eng);
    return 1;
  }
  build_message_templates(eng, o, n);
  uint64_t sent = 0, received = 0, bad = 0, sent_after = 0;
  Stats lat;
  const uint64_t t_start = now_ns();
  uint64_t t_kill = t_start + uint64_t(o.kill_after * 1e9), t_end = t_kill + uint64_t(o.duration * 1e9);
  bool killed = false;
  int64_t restored_ns = -1;  // kill -> first message sent after it delivered
  uint64_t last_delivery = 0, longest_gap = 0;
  eng.on_dead = [&](unsigned) {};
  eng.on_message = [&](unsigned, uint64_t stamp) {
    uint64_t t = now_ns();
    ++received;
    if (!stamp || stamp > t) {
      ++bad;
      return;
    }
    lat.add(t - stamp);
    if (killed && stamp >= t_kill && restored_ns < 0) restored_ns = int64_t(t - t_kill);
    if (killed && last_delivery) longest_gap = std::max(longest_gap, t - std::max(last_delivery, t_kill));
    last_delivery = t;
  };
  uint64_t rr = 0;
  eng.on_tick = [&] {
    uint64_t t = now_ns();
    if (!killed && t >= t_kill) {
      t_kill = now_ns();
      ::kill(o.kill_pid, SIGKILL);
      killed = true;
      t_end = t_kill + uint64_t(o.duration * 1e9);
    }
    if (t >= t_end) return;
    uint64_t due = uint64_t(o.rate * double(t - t_start) / 1e9);
    while (sent < due) {
      if (send_stamped(eng, unsigned(rr++ % n))) {
        ++sent;
        if (killed) ++sent_after;
      }
    }
  };
  while (now_ns() < t_end) eng.poll(1);
  // Stanzas a surviving node accepted are resent through the new leader: give them time.
  uint64_t drain_until = now_ns() + uint64_t(std::min(o.timeout, 15.0) * 1e9);
  while (received < sent && now_ns() < drain_until) eng.poll(10);
  unsigned dead = 0;
  for (auto& c : eng.conns_) dead += c.st == St::dead;
  std::printf("RESULT scenario=failover server=%s pairs=%u rate=%.0f killed_pid=%d restored_ms=%.1f "
              "longest_gap_ms=%.1f p50_ms=%.3f p99_ms=%.3f max_ms=%.3f sent=%lu sent_after_kill=%lu received=%lu "
              "lost=%ld bad=%lu dead_conns=%u\n",
              o.label.c_str(), o.pairs, o.rate, o.kill_pid, restored_ns < 0 ? -1.0 : double(restored_ns) / 1e6,
              double(longest_gap) / 1e6, lat.pct_ms(0.5), lat.pct_ms(0.99), lat.max_ms(), (unsigned long)sent,
              (unsigned long)sent_after, (unsigned long)received, long(sent) - long(received), (unsigned long)bad,
              dead);
  std::fflush(stdout);
  print_error(eng);
  eng.close_all();
  return restored_ns < 0 ? 1 : 0;
}

}  // namespace convene::bench
