#include "callbridge/component_client.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509_vfy.h>

#include <cstring>

#include "util/openssl_error.h"
#include "xml/serializer.h"
#include "xml/stream_parser.h"
#include "xmpp_core/component_handshake.h"
#include "xmpp_core/namespaces.h"

namespace convene::callbridge {

namespace {
using xmpp::kComponentNs;
using xmpp::kTlsNs;
using clock = std::chrono::steady_clock;

int remaining_ms(clock::time_point deadline, int cap = 100) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - clock::now()).count();
  if (left < 0) left = 0;
  return static_cast<int>(std::min<long long>(left, cap));
}
}  // namespace

struct ComponentClient::Impl : xml::StreamHandler {
  int fd = -1;
  SSL_CTX* ctx = nullptr;
  SSL* ssl = nullptr;  // after STARTTLS: every byte goes through it
  bool features_seen = false, starttls_offered = false, proceed = false, tls_refused = false;
  std::unique_ptr<xml::StreamParser> parser;
  bool header_seen = false;
  std::string stream_id;
  bool handshake_ok = false;
  std::string stream_error;      // condition (and text) of a <stream:error/>, for people
  std::string stream_condition;  // its condition alone, for decisions
  bool closed_by_peer = false;
  bool authenticating = false;
  const std::function<void(xml::Element&)>* stanza_fn = nullptr;

  void on_stream_open(const xml::StreamHeader& header) override {
    header_seen = true;
    stream_id = header.id;
  }
  void on_stanza(xml::Element& stanza, std::string_view) override {
    if (stanza.name() == "error" && stanza.ns() == xml::kStreamsNs) {
      std::string condition, text;
      for (auto& child : stanza.children()) {
        if (child.name() == "text") text = std::string(child.text());
        else if (condition.empty()) condition = std::string(child.name());
      }
      stream_condition = condition.empty() ? "undefined-condition" : condition;
      stream_error = stream_condition;
      if (!text.empty()) stream_error += ": " + text;
      return;
    }
    if (authenticating) {
      if (stanza.name() == "features" && stanza.ns() == xml::kStreamsNs) {
        features_seen = true;
        starttls_offered = stanza.find_child("starttls", kTlsNs) != nullptr;
      } else if (stanza.ns() == kTlsNs) {
        (stanza.name() == "proceed" ? proceed : tls_refused) = true;
      } else if (stanza.name() == "handshake") {
        handshake_ok = true;
      }
      return;
    }
    if (stanza_fn && *stanza_fn) (*stanza_fn)(stanza);
  }
  void on_stream_close() override { closed_by_peer = true; }

  void reset() {
    if (ssl) SSL_free(ssl);
    if (ctx) SSL_CTX_free(ctx);
    ssl = nullptr;
    ctx = nullptr;
    if (fd >= 0) ::close(fd);
    fd = -1;
    parser.reset();
    header_seen = handshake_ok = closed_by_peer = authenticating = false;
    features_seen = starttls_offered = proceed = tls_refused = false;
    stream_id.clear();
    stream_error.clear();
    stream_condition.clear();
  }

  // Read what is there and feed it. Returns an error text when the stream ended.
  std::optional<std::string> read_some() {
    char buf[16384];
    ssize_t n;
    if (ssl) {
      size_t got = 0;
      if (SSL_read_ex(ssl, buf, sizeof buf, &got) <= 0) {
        int e = SSL_get_error(ssl, 0);
        if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) return std::nullopt;
        if (e == SSL_ERROR_ZERO_RETURN) return std::string("the server closed the connection");
        if (e == SSL_ERROR_SYSCALL && errno == 0) return std::string("the server closed the connection");
        return "TLS error: " + take_openssl_error();
      }
      n = static_cast<ssize_t>(got);
    } else {
      n = ::recv(fd, buf, sizeof buf, 0);
      if (n == 0) return std::string("the server closed the connection");
      if (n < 0) {
        if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) return std::nullopt;
        return std::string(std::strerror(errno));
      }
    }
    if (auto err = parser->feed(std::string_view(buf, static_cast<size_t>(n))))
      return "bad XML from the server: " + err->text;
    if (!stream_error.empty()) return "stream error from the server: " + stream_error;
    if (closed_by_peer) return std::string("the server closed the stream");
    return std::nullopt;
  }

  // Waits (bounded by the deadline) for what OpenSSL asked for; false: give up.
  bool ssl_wait(int ret, clock::time_point deadline) {
    int e = SSL_get_error(ssl, ret);
    if (e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE) return false;
    if (clock::now() >= deadline) return false;
    pollfd p{fd, short(e == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT), 0};
    ::poll(&p, 1, remaining_ms(deadline));
    return true;
  }

  // Bytes OpenSSL already decrypted never make the socket readable.
  bool buffered() const { return ssl && SSL_pending(ssl) > 0; }

  // TLS on the connected socket, verified against the trust bundle; an error text
  // (for the status) when it fails.
  std::optional<std::string> start_tls(const ComponentClient::Tls& tls, clock::time_point deadline,
                                       const std::atomic<bool>& stop) {
    ERR_clear_error();
    ctx = SSL_CTX_new(TLS_client_method());
    if (!ctx) return "cannot make a TLS context: " + take_openssl_error();
    SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
    if (SSL_CTX_load_verify_locations(ctx, tls.trust_file.c_str(), nullptr) != 1)
      return "cannot read the trust bundle " + tls.trust_file + ": " + take_openssl_error();
    // The bundle may hold the servers' own certificates, as the cluster's trust does.
    X509_VERIFY_PARAM_set_flags(SSL_CTX_get0_param(ctx), X509_V_FLAG_PARTIAL_CHAIN);
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, nullptr);
    ssl = SSL_new(ctx);
    if (!ssl || SSL_set_fd(ssl, fd) != 1) return "cannot start TLS: " + take_openssl_error();
    SSL_set_mode(ssl, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
    SSL_set_tlsext_host_name(ssl, tls.domain.c_str());
    SSL_set1_host(ssl, tls.domain.c_str());
    for (;;) {
      int r = SSL_connect(ssl);
      if (r == 1) return std::nullopt;
      if (stop) return std::string("stopped");
      if (!ssl_wait(r, deadline)) {
        long v = SSL_get_verify_result(ssl);
        if (v != X509_V_OK)
          return "the server's certificate is not trusted for " + tls.domain + " (" +
                 X509_verify_cert_error_string(v) + "; trust bundle " + tls.trust_file + ")";
        if (clock::now() >= deadline) return std::string("TLS handshake timed out");
        return "TLS handshake failed: " + take_openssl_error();
      }
    }
  }

  bool write_all(std::string_view bytes, clock::time_point deadline) {
    if (ssl) {
      while (!bytes.empty()) {
        size_t n = 0;
        int r = SSL_write_ex(ssl, bytes.data(), bytes.size(), &n);
        if (r > 0) {
          bytes.remove_prefix(n);
          continue;
        }
        if (!ssl_wait(r, deadline)) return false;
      }
      return true;
    }
    while (!bytes.empty()) {
      ssize_t n = ::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
      if (n > 0) {
        bytes.remove_prefix(static_cast<size_t>(n));
        continue;
      }
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
        if (clock::now() >= deadline) return false;
        pollfd p{fd, POLLOUT, 0};
        ::poll(&p, 1, remaining_ms(deadline));
        continue;
      }
      return false;
    }
    return true;
  }
};

ComponentClient::ComponentClient() : impl_(std::make_unique<Impl>()) {}
ComponentClient::~ComponentClient() { impl_->reset(); }

bool ComponentClient::connected() const { return impl_->fd >= 0; }

std::string ComponentClient::local_address() const {
  if (impl_->fd < 0) return "";
  sockaddr_storage ss{};
  socklen_t len = sizeof ss;
  if (::getsockname(impl_->fd, reinterpret_cast<sockaddr*>(&ss), &len) != 0) return "";
  char ip[INET6_ADDRSTRLEN] = {};
  uint16_t port = 0;
  if (ss.ss_family == AF_INET) {
    auto* v4 = reinterpret_cast<sockaddr_in*>(&ss);
    inet_ntop(AF_INET, &v4->sin_addr, ip, sizeof ip);
    port = ntohs(v4->sin_port);
  } else if (ss.ss_family == AF_INET6) {
    auto* v6 = reinterpret_cast<sockaddr_in6*>(&ss);
    inet_ntop(AF_INET6, &v6->sin6_addr, ip, sizeof ip);
    port = ntohs(v6->sin6_port);
  } else {
    return "";
  }
  return std::string(ip) + ":" + std::to_string(port);
}

std::optional<ConnectFailure> ComponentClient::connect(const std::string& address, uint16_t port,
                                                       const std::string& component, const std::string& secret,
                                                       std::chrono::milliseconds timeout,
                                                       const std::atomic<bool>& stop, const Tls& tls) {
  using Kind = ConnectFailure::Kind;
  impl_->reset();
  auto deadline = clock::now() + timeout;
  sockaddr_storage ss{};
  socklen_t len = 0;
  auto* v4 = reinterpret_cast<sockaddr_in*>(&ss);
  auto* v6 = reinterpret_cast<sockaddr_in6*>(&ss);
  if (inet_pton(AF_INET, address.c_str(), &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(port);
    len = sizeof(sockaddr_in);
  } else if (inet_pton(AF_INET6, address.c_str(), &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(port);
    len = sizeof(sockaddr_in6);
  } else {
    return ConnectFailure{Kind::unreachable, "not an IP address: " + address};
  }
  int fd = ::socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return ConnectFailure{Kind::unreachable, std::string("socket: ") + std::strerror(errno)};
  impl_->fd = fd;
  int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&ss), len) != 0) {
    if (errno != EINPROGRESS) {
      std::string why = std::strerror(errno);
      impl_->reset();
      return ConnectFailure{Kind::unreachable, "connect: " + why};
    }
    for (;;) {
      if (stop) {
        impl_->reset();
        return ConnectFailure{Kind::unreachable, "stopped"};
      }
      pollfd p{fd, POLLOUT, 0};
      int r = ::poll(&p, 1, remaining_ms(deadline));
      if (r > 0) break;
      if (clock::now() >= deadline) {
        impl_->reset();
        return ConnectFailure{Kind::unreachable, "connect: timed out after " + std::to_string(timeout.count()) + " ms"};
      }
    }
    int err = 0;
    socklen_t elen = sizeof err;
    ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &elen);
    if (err != 0) {
      impl_->reset();
      return ConnectFailure{Kind::unreachable, std::string("connect: ") + std::strerror(err)};
    }
  }
  impl_->parser = std::make_unique<xml::StreamParser>(*impl_);
  impl_->authenticating = true;
  const bool use_tls = !tls.trust_file.empty();
  // version='1.0' asks the server for stream features (its STARTTLS offer).
  const std::string header = [&] {
    std::string out;
    xml::write_stream_open({kComponentNs, component, {}, {}, use_tls ? "1.0" : "", {}}, out);
    return out;
  }();
  if (!impl_->write_all(header, deadline)) {
    impl_->reset();
    return ConnectFailure{Kind::unreachable, "could not send the stream header"};
  }
  bool handshake_sent = false, starttls_sent = false, tls_done = !use_tls;
  auto fail = [&](Kind kind, std::string message) {
    impl_->reset();
    return ConnectFailure{kind, std::move(message)};
  };
  while (!impl_->handshake_ok) {
    if (stop) {
      impl_->reset();
      return ConnectFailure{Kind::unreachable, "stopped"};
    }
    if (clock::now() >= deadline) {
      impl_->reset();
      return ConnectFailure{Kind::protocol, handshake_sent ? "no answer to the handshake in time"
                                                           : "no stream header from the server in time"};
    }
    if (!impl_->buffered()) {
      pollfd p{fd, POLLIN, 0};
      if (::poll(&p, 1, remaining_ms(deadline)) <= 0) continue;
    }
    if (auto ended = impl_->read_some()) {
      bool rejected = impl_->stream_condition == "not-authorized";
      bool held = tls.standby && impl_->stream_condition == "conflict";
      std::string message = *ended;
      impl_->reset();
      if (rejected) return ConnectFailure{Kind::authentication, "secret rejected (not-authorized)"};
      if (held) return ConnectFailure{Kind::held, "served elsewhere (conflict)"};
      return ConnectFailure{handshake_sent ? Kind::protocol : Kind::unreachable, message};
    }
    if (!tls_done) {
      if (impl_->features_seen && !starttls_sent) {
        if (!impl_->starttls_offered)
          return fail(Kind::protocol,
                      "the server offers no TLS on its component port (an older server? or use "
                      "'callbridge trust none' to connect without TLS)");
        if (!impl_->write_all("<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>", deadline))
          return fail(Kind::unreachable, "could not ask for TLS");
        starttls_sent = true;
      }
      if (impl_->tls_refused) return fail(Kind::protocol, "the server refused TLS on its component port");
      if (impl_->proceed) {
        if (auto err = impl_->start_tls(tls, deadline, stop)) return fail(Kind::protocol, "TLS: " + *err);
        tls_done = true;
        // A new stream over TLS (RFC 6120 §5.4.3.3).
        impl_->parser = std::make_unique<xml::StreamParser>(*impl_);
        impl_->header_seen = impl_->features_seen = false;
        impl_->stream_id.clear();
        if (!impl_->write_all(header, deadline)) return fail(Kind::unreachable, "could not send the stream header");
      }
      continue;
    }
    if (impl_->header_seen && !handshake_sent) {
      if (impl_->stream_id.empty()) {
        impl_->reset();
        return ConnectFailure{Kind::protocol, "the server's stream header has no id"};
      }
      std::string hs = std::string(tls.standby ? "<handshake standby='true'>" : "<handshake>") + xmpp::component_handshake_digest(impl_->stream_id, secret) + "</handshake>";
      if (!impl_->write_all(hs, deadline)) {
        impl_->reset();
        return ConnectFailure{Kind::unreachable, "could not send the handshake"};
      }
      handshake_sent = true;
    }
  }
  impl_->authenticating = false;
  return std::nullopt;
}

std::string ComponentClient::run(const std::function<void(xml::Element&)>& on_stanza, const std::atomic<bool>& stop,
                                 const std::function<void()>& on_tick) {
  impl_->stanza_fn = &on_stanza;
  std::string why;
  while (impl_->fd >= 0) {
    if (stop) {
      why = "stopped";
      break;
    }
    if (on_tick) on_tick();
    if (!impl_->buffered()) {
      pollfd p{impl_->fd, POLLIN, 0};
      int r = ::poll(&p, 1, 100);
      if (r <= 0) continue;
    }
    if (auto ended = impl_->read_some()) {
      why = *ended;
      impl_->reset();
      break;
    }
  }
  impl_->stanza_fn = nullptr;
  return why;
}

bool ComponentClient::send(std::string_view bytes) {
  if (impl_->fd < 0) return false;
  return impl_->write_all(bytes, clock::now() + std::chrono::seconds(5));
}

void ComponentClient::close() {
  if (impl_->fd >= 0) impl_->write_all(xml::kStreamClose, clock::now() + std::chrono::milliseconds(200));
  impl_->reset();
}

}  // namespace convene::callbridge
