// The per-connection XMPP client state machine behind convene-bench.
//
// Why no XML parser: the tool must cost much less per message than the server it
// measures (the kernel floor is ~4 us per message, as measured on this kind of machine; a server adds its own
// work on top, and the tool has to stay well under its core at 100k+ messages/s). It
// talks to a server in a fixed, known dialogue (stream open, SASL, bind, presence,
// chat messages it built itself), so it only needs to find a few markers in what it
// reads: `</stream:features>`, `<success`, `<challenge`, `</jid>`, the id of its ping,
// `<message` ... `</message>` and the stamp in the id attribute it wrote. The servers'
// conformance is checked by the end-to-end tests, not here. Outgoing stanzas are
// pre-built strings; a message is a copy of its sender's template with 16 hex digits
// of send time patched in place.
#include "engine.h"

#include <arpa/inet.h>
#include <malloc.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <openssl/err.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "measure.h"
#include "xmpp_core/base64.h"
#include "xmpp_core/namespaces.h"

namespace convene::bench {
namespace {

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

}  // namespace

Engine::Engine(const Options& o) : o_(o) {
  raise_fd_limit();
  keep_heap();
  ep_ = epoll_create1(EPOLL_CLOEXEC);
  open_ = "<?xml version='1.0'?><stream:stream xmlns='" + std::string(xmpp::kClientNs) + "' xmlns:stream='" +
          std::string(xmpp::kStreamsNs) + "' to='" + o.domain + "' version='1.0'>";
  restart_ = open_.substr(21);  // without the XML declaration
  if (!o.websocket.empty())
    open_ = restart_ = "<open xmlns='urn:ietf:params:xml:ns:xmpp-framing' to='" + o.domain + "' version='1.0'/>";
  bind_ = "<iq type='set' id='bind1'><bind xmlns='" + std::string(xmpp::kBindNs) + "'><resource>b</resource></bind></iq>";
  presence_ = "<presence/>";
  ping_ = "<iq type='get' id='" + std::string(kPingId) + "' to='" + o.domain + "'><ping xmlns='" +
          std::string(xmpp::kPingNs) + "'/></iq>";
  if (!o.scram_cache.empty()) cache_.load(o.scram_cache);
  if (o.starttls || !o.websocket.empty()) {
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

Engine::~Engine() {
  for (auto& c : conns_) {
    if (c.ssl) SSL_free(c.ssl);
    if (c.fd >= 0) ::close(c.fd);
  }
  if (tls_) SSL_CTX_free(tls_);
  ::close(ep_);
  if (!o_.scram_cache.empty() && cache_.misses()) cache_.save(o_.scram_cache);
}

void Engine::add_users(unsigned n) {
  conns_.resize(n);
  for (unsigned i = 0; i < n; ++i) conns_[i].user = o_.first + i;
}

void Engine::start(unsigned idx) {
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

void Engine::close_all() {
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

void Engine::send(unsigned idx, std::string_view data) {
  Conn& c = conns_[idx];
  if (c.fd < 0) return;
  if (c.ws) {
    framed_.clear();
    frame(data, framed_);
    data = framed_;
  }
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

void Engine::poll(int timeout_ms) {
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
      want_out(idx, false);
      if (!o_.websocket.empty()) {  // wss: TLS first, then the HTTP upgrade
        c.ssl = SSL_new(tls_);
        SSL_set_app_data(c.ssl, &c);
        SSL_set_fd(c.ssl, c.fd);
        SSL_set_connect_state(c.ssl);
        c.st = St::handshake;
        handshake(idx);
        continue;
      }
      c.st = St::features1;
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

void Engine::want_out(unsigned idx, bool on) {
  Conn& c = conns_[idx];
  if (c.pollout == on || c.fd < 0) return;
  c.pollout = on;
  epoll_event ev{};
  ev.events = EPOLLIN | (on ? EPOLLOUT : 0u);
  ev.data.u32 = idx;
  epoll_ctl(ep_, EPOLL_CTL_MOD, c.fd, &ev);
}

void Engine::handshake(unsigned idx) {
  Conn& c = conns_[idx];
  int r = SSL_do_handshake(c.ssl);
  if (r == 1) {
    leave_openssl(c);
    want_out(idx, false);
    if (!o_.websocket.empty()) {
      c.st = St::upgrade;
      return send(idx, "GET " + o_.websocket + " HTTP/1.1\r\nHost: " + o_.host + ":" + std::to_string(o_.port) +
                           "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: "
                           "dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: "
                           "xmpp\r\n\r\n");
    }
    c.st = St::features1;
    return send(idx, open_);
  }
  int e = SSL_get_error(c.ssl, r);
  if (e == SSL_ERROR_WANT_READ) return want_out(idx, false);
  if (e == SSL_ERROR_WANT_WRITE) return want_out(idx, true);
  char why[256];
  ERR_error_string_n(ERR_get_error(), why, sizeof why);
  die(idx, std::string("TLS handshake: ") + why);
}

void Engine::leave_openssl(Conn& c) {
  c.rec = convene::tls::Tls13Records::take_over(c.ssl, c.secrets[1], c.secrets[0]);
  c.secrets[0].clear();
  c.secrets[1].clear();
  if (!c.rec) return;
  SSL_free(c.ssl);
  c.ssl = nullptr;
}

bool Engine::absorb(unsigned idx, const char* data, size_t size) {
  Conn& c = conns_[idx];
  std::string& plain_in = c.ws ? c.wsin : c.in;
  if (!c.rec) {
    plain_in.append(data, size);
    return !c.ws || unframe(idx);
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
    if (type == Tls13Records::kApplicationData) plain_in.append(opened_, plain);
    if (type == Tls13Records::kAlert) {
      die(idx, "closed by the server");
      return false;
    }
    // kHandshake: session tickets, which the tool does not use
  }
  c.cin.erase(0, at);
  return !c.ws || unframe(idx);
}

void Engine::frame(std::string_view element, std::string& out) const {
  // Stanzas declare their namespace: each message is parsed on its own (RFC 7395 §3.3.3).
  std::string_view decl;
  size_t name_end = 0;
  for (std::string_view name : {"<message ", "<iq ", "<presence/", "<presence "})
    if (element.substr(0, name.size()) == name) {
      decl = " xmlns='jabber:client'";
      name_end = name.size() - 1;
    }
  size_t n = element.size() + decl.size();
  out.push_back(char(0x81));
  if (n < 126) {
    out.push_back(char(0x80 | n));
  } else if (n <= 0xffff) {
    out.push_back(char(0x80 | 126));
    out.push_back(char(n >> 8));
    out.push_back(char(n & 0xff));
  } else {
    out.push_back(char(0x80 | 127));
    for (int shift = 56; shift >= 0; shift -= 8) out.push_back(char((uint64_t(n) >> shift) & 0xff));
  }
  // A fixed mask: the tool is not a browser, and the servers' cost of unmasking is the same.
  static constexpr char kMask[4] = {0x3d, 0x21, char(0xfa), 0x37};
  out.append(kMask, 4);
  size_t at = out.size();
  out.append(element.substr(0, name_end));
  out.append(decl);
  out.append(element.substr(name_end));
  for (size_t i = 0; i < n; ++i) out[at + i] = char(out[at + i] ^ kMask[i % 4]);
}

bool Engine::unframe(unsigned idx) {
  Conn& c = conns_[idx];
  size_t at = 0;
  for (;;) {
    std::string_view b = std::string_view(c.wsin).substr(at);
    if (b.size() < 2) break;
    uint64_t len = uint8_t(b[1]) & 0x7f;
    size_t head = 2;
    if (len == 126) {
      if (b.size() < 4) break;
      len = (uint64_t(uint8_t(b[2])) << 8) | uint8_t(b[3]);
      head = 4;
    } else if (len == 127) {
      if (b.size() < 10) break;
      len = 0;
      for (int i = 2; i < 10; ++i) len = len << 8 | uint8_t(b[i]);
      head = 10;
    }
    if (b.size() < head + len) break;
    unsigned opcode = uint8_t(b[0]) & 0x0f;
    if (opcode == 8) {
      die(idx, "closed by the server (WebSocket close)");
      return false;
    }
    if (opcode <= 2) c.in.append(b.substr(head, size_t(len)));  // text, binary or continuation: the bytes
    at += head + size_t(len);
  }
  c.wsin.erase(0, at);
  return true;
}

void Engine::flush(unsigned idx) {
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

void Engine::die(unsigned idx, std::string why) {
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

void Engine::readable(unsigned idx) {
  Conn& c = conns_[idx];
  while (c.ssl) {
    int n = SSL_read(c.ssl, buf_, sizeof buf_);
    if (n > 0) {
      if (c.ws) {
        c.wsin.append(buf_, size_t(n));
        if (!unframe(idx)) return;
      } else {
        c.in.append(buf_, size_t(n));
      }
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

void Engine::ack_now(int fd) {
  if (!o_.quickack) return;
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_QUICKACK, &one, sizeof one);
}

void Engine::process(unsigned idx) {
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
        return send(idx, "<starttls xmlns='" + std::string(xmpp::kTlsNs) + "'/>");
      }
      Mech m = o_.mech;
      if (m == Mech::automatic) {
        if (has(in, ">PLAIN<")) m = Mech::plain;
        else if (has(in, ">SCRAM-SHA-1<")) m = Mech::scram_sha1;
        else if (has(in, ">SCRAM-SHA-256<")) m = Mech::scram_sha256;
        else return die(idx, "no usable SASL mechanism: " + std::string(in.substr(0, 300)));
      }
      std::string user = user_name(idx);
      std::string auth = "<auth xmlns='" + std::string(xmpp::kSaslNs) + "' mechanism='";
      if (m == Mech::plain) {
        auth += "PLAIN'>" + xmpp::base64_encode(std::string(1, '\0') + user + std::string(1, '\0') + o_.password);
      } else {
        bool sha256 = m == Mech::scram_sha256;
        c.scram = std::make_unique<ScramClient>(sha256, user, o_.password,
                                                "bn" + std::to_string(idx) + "x" + std::to_string(c.t0 & 0xffffff));
        auth += std::string(sha256 ? "SCRAM-SHA-256" : "SCRAM-SHA-1") + "'>" + xmpp::base64_encode(c.scram->first());
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
        return send(idx, restart_);
      }
      auto b = in.find("<challenge");
      auto e = in.find("</challenge>");
      if (b == in.npos || e == in.npos || !c.scram) return;
      auto gt = in.find('>', b);
      auto decoded = xmpp::base64_decode(in.substr(gt + 1, e - gt - 1));
      std::string server_first = decoded ? std::move(*decoded) : std::string();
      std::string final_msg = c.scram->final_message(server_first, cache_);
      if (final_msg.empty()) return die(idx, "bad SCRAM challenge: " + server_first);
      c.in.clear();
      return send(idx, "<response xmlns='" + std::string(xmpp::kSaslNs) + "'>" + xmpp::base64_encode(final_msg) +
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
    case St::upgrade: {
      auto end = in.find("\r\n\r\n");
      if (end == in.npos) return;
      if (in.substr(0, 12) != "HTTP/1.1 101") return die(idx, "WebSocket upgrade refused: " + std::string(in.substr(0, 200)));
      c.in.clear();
      c.ws = true;
      c.st = St::features1;
      return send(idx, open_);
    }
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
      send(idx, presence_);
      return send(idx, ping_);
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

uint64_t Engine::parse_hex16(const char* p) {
  uint64_t v = 0;
  for (int i = 0; i < 16; ++i) {
    char ch = p[i];
    unsigned d = ch >= '0' && ch <= '9' ? unsigned(ch - '0') : ch >= 'a' && ch <= 'f' ? unsigned(ch - 'a' + 10) : 99;
    if (d == 99) return 0;
    v = v << 4 | d;
  }
  return v;
}

void Engine::scan_messages(unsigned idx) {
  Conn& c = conns_[idx];
  std::string_view in = c.in;
  if (!c.marked && std::any_of(markers.begin(), markers.end(), [&](const std::string& m) { return has(in, m); })) {
    c.marked = true;
    if (on_marker) on_marker(idx);
    if (c.fd < 0) return;
  }
  size_t pos = 0;
  for (;;) {
    size_t s = in.find("<message", pos);
    if (s == in.npos) {
      if (has(in.substr(pos), "</stream:stream>") || has(in.substr(pos), "<stream:error"))
        return die(idx, "stream closed: " + std::string(in.substr(pos, 300)));
      // A marker may straddle two reads: keep a tail as long as the longest one.
      size_t tail = 8;
      for (auto& m : markers) tail = std::max(tail, m.size());
      pos = std::max(pos, in.size() > tail ? in.size() - tail : 0);
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
    if (!stamp) {
      size_t body = in.substr(s, e - s).find("<body>");
      if (body != in.npos && s + body + 6 + 16 <= e) stamp = parse_hex16(in.data() + s + body + 6);
    }
    const bool error = has(tag, "type='error'") || has(tag, "type=\"error\"");
    pos = e + 10;
    if (on_message) on_message(idx, stamp, error);
    if (c.fd < 0) return;
  }
  c.in.erase(0, pos);
}

}  // namespace convene::bench
