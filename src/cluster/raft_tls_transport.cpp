#include "cluster/raft_tls_transport.h"

#include <sys/socket.h>
#include <unistd.h>

#include <asio/local/stream_protocol.hpp>
#include <asio/read.hpp>
#include <asio/write.hpp>
#include <array>
#include <cstring>

#include "util/log.h"

namespace convene::cluster {
namespace {

// An fd in flight between threads: closed unless someone takes it.
struct OwnedFd {
  int fd = -1;
  explicit OwnedFd(int f) : fd(f) {}
  ~OwnedFd() {
    if (fd >= 0) ::close(fd);
  }
  int release() { return std::exchange(fd, -1); }
};

// Copies bytes both ways between a TLS stream and the relay end of a
// socketpair, until either side ends; then closes both (raft sees EOF and
// reconnects; the peer sees the TLS connection close). Network thread only.
class Relay : public std::enable_shared_from_this<Relay> {
 public:
  Relay(std::shared_ptr<TlsStream> tls, asio::local::stream_protocol::socket local,
        std::function<void()> on_receive)
      : tls_(std::move(tls)), local_(std::move(local)), on_receive_(std::move(on_receive)) {}

  void start() {
    pump_from_peer();
    pump_from_raft();
  }

 private:
  void pump_from_peer() {
    tls_->async_read_some(asio::buffer(from_peer_), [self = shared_from_this()](std::error_code ec, size_t n) {
      if (ec) return self->shutdown();
      self->on_receive_();
      asio::async_write(self->local_, asio::buffer(self->from_peer_, n), [self](std::error_code ec, size_t) {
        if (ec) return self->shutdown();
        self->pump_from_peer();
      });
    });
  }
  void pump_from_raft() {
    local_.async_read_some(asio::buffer(from_raft_), [self = shared_from_this()](std::error_code ec, size_t n) {
      if (ec) return self->shutdown();
      asio::async_write(*self->tls_, asio::buffer(self->from_raft_, n), [self](std::error_code ec, size_t) {
        if (ec) return self->shutdown();
        self->pump_from_raft();
      });
    });
  }
  void shutdown() {
    if (closed_) return;
    closed_ = true;
    std::error_code ec;
    tls_->lowest_layer().close(ec);
    local_.close(ec);
  }

  std::shared_ptr<TlsStream> tls_;
  asio::local::stream_protocol::socket local_;
  std::function<void()> on_receive_;
  std::array<char, 16384> from_peer_;
  std::array<char, 16384> from_raft_;
  bool closed_ = false;
};

RaftTlsTransport* self_of(raft_uv_transport* t) { return static_cast<RaftTlsTransport*>(t->impl); }

}  // namespace

RaftTlsTransport::RaftTlsTransport(LoopThread& loop, PeerNetwork& network) : loop_(loop), network_(network) {
  transport_.impl = this;
  transport_.init = &RaftTlsTransport::do_init;
  transport_.listen = &RaftTlsTransport::do_listen;
  transport_.connect = &RaftTlsTransport::do_connect;
  transport_.close = &RaftTlsTransport::do_close;

  // Incoming raft connections: verified and identified by PeerNetwork.
  network_.on_accept(Channel::raft, [this](std::shared_ptr<TlsStream> stream, PeerHello hello) {
    int fd = start_relay(std::move(stream), hello.id);
    if (fd < 0) return;
    auto owned = std::make_shared<OwnedFd>(fd);
    loop_.post([this, owned, hello] {
      if (closing_ || !accept_cb_) return;  // raft not listening (yet/anymore): owned closes
      if (on_inbound && !on_inbound(hello)) return;  // owned closes
      uv_stream_t* s = wrap_fd(owned->release());
      if (s) accept_cb_(&transport_, hello.id, hello.address.c_str(), s);
    });
  });
}

int RaftTlsTransport::do_init(raft_uv_transport*, raft_id, const char*) { return 0; }

int RaftTlsTransport::do_listen(raft_uv_transport* t, raft_uv_accept_cb cb) {
  self_of(t)->accept_cb_ = cb;
  return 0;
}

int RaftTlsTransport::do_connect(raft_uv_transport* t, raft_uv_connect* req, raft_id id,
                                 const char* address, raft_uv_connect_cb cb) {
  RaftTlsTransport* self = self_of(t);
  if (self->closing_) return RAFT_CANCELED;
  self->pending_[req] = cb;
  std::string addr = address;
  self->network_.dial(addr, Channel::raft, [self, req, id, addr](Result<std::shared_ptr<TlsStream>> r) {
    std::shared_ptr<OwnedFd> owned;
    if (r) {
      int fd = self->start_relay(std::move(*r), id);
      if (fd >= 0) owned = std::make_shared<OwnedFd>(fd);
    } else {
      logger("cluster")->debug("node {}: raft connect to {} ({}): {}", self->network_.self_id(), id, addr,
                               r.error().message);
    }
    self->loop_.post([self, req, owned] {
      auto it = self->pending_.find(req);
      if (it == self->pending_.end()) return;  // cancelled by close; owned closes
      raft_uv_connect_cb cb = it->second;
      self->pending_.erase(it);
      uv_stream_t* s = owned ? self->wrap_fd(owned->release()) : nullptr;
      cb(req, s, s ? 0 : RAFT_NOCONNECTION);
    });
  }, std::chrono::milliseconds(1000));
  return 0;
}

void RaftTlsTransport::do_close(raft_uv_transport* t, raft_uv_transport_close_cb cb) {
  self_of(t)->close_impl([t, cb] {
    if (cb) cb(t);
  });
}

void RaftTlsTransport::close(std::function<void()> done) { close_impl(std::move(done)); }

void RaftTlsTransport::close_impl(std::function<void()> done) {
  if (closing_) {
    // Already closing or closed: report after the first close completes.
    loop_.post([done = std::move(done)] { done(); });
    return;
  }
  closing_ = true;
  accept_cb_ = nullptr;
  auto cancelled = std::move(pending_);
  pending_.clear();
  loop_.post([this, cancelled = std::move(cancelled), done = std::move(done)] {
    for (auto& [req, cb] : cancelled) cb(req, nullptr, RAFT_CANCELED);
    closed_ = true;
    done();
  });
}

int RaftTlsTransport::start_relay(std::shared_ptr<TlsStream> stream, std::uint64_t peer_id) {
  int fds[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) != 0) {
    logger("cluster")->error("socketpair failed: {}", std::strerror(errno));
    std::error_code ec;
    stream->lowest_layer().close(ec);
    return -1;
  }
  asio::local::stream_protocol::socket local(network_.io());
  std::error_code ec;
  local.assign(asio::local::stream_protocol(), fds[1], ec);
  if (ec) {
    ::close(fds[0]);
    ::close(fds[1]);
    stream->lowest_layer().close(ec);
    return -1;
  }
  touch(peer_id);
  std::make_shared<Relay>(std::move(stream), std::move(local), [this, peer_id] { touch(peer_id); })->start();
  return fds[0];
}

uv_stream_t* RaftTlsTransport::wrap_fd(int fd) {
  auto* pipe = static_cast<uv_pipe_t*>(raft_malloc(sizeof(uv_pipe_t)));
  if (!pipe || uv_pipe_init(loop_.loop(), pipe, 0) != 0) {
    raft_free(pipe);
    ::close(fd);
    return nullptr;
  }
  if (uv_pipe_open(pipe, fd) != 0) {
    ::close(fd);
    uv_close(reinterpret_cast<uv_handle_t*>(pipe), [](uv_handle_t* h) { raft_free(h); });
    return nullptr;
  }
  return reinterpret_cast<uv_stream_t*>(pipe);
}

void RaftTlsTransport::touch(std::uint64_t id) {
  std::lock_guard lock(contact_mutex_);
  contact_[id] = std::chrono::steady_clock::now();
}

std::optional<std::chrono::steady_clock::time_point> RaftTlsTransport::last_contact(std::uint64_t id) const {
  std::lock_guard lock(contact_mutex_);
  auto it = contact_.find(id);
  if (it == contact_.end()) return std::nullopt;
  return it->second;
}

}  // namespace convene::cluster
