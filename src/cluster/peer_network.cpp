#include "cluster/peer_network.h"

#include <asio/connect.hpp>
#include <asio/read.hpp>
#include <asio/ssl.hpp>
#include <asio/steady_timer.hpp>
#include <asio/write.hpp>

#include <netinet/tcp.h>

#include <array>
#include <future>
#include <optional>

#include "cluster/wire.h"
#include "util/endpoint.h"
#include "util/log.h"
#include "util/thread_name.h"

namespace convene::cluster {
namespace {

constexpr char kMagic[] = "CVN1";
constexpr size_t kHelloFixed = 4 + 1 + 8 + 2;
constexpr std::uint8_t kAccepted = 1;

// Keeps the context alive as long as the stream that was made from it.
std::shared_ptr<TlsStream> make_stream(asio::ip::tcp::socket socket,
                                       std::shared_ptr<asio::ssl::context> ctx) {
  struct Holder {
    std::shared_ptr<asio::ssl::context> ctx;
    TlsStream stream;
    Holder(asio::ip::tcp::socket s, std::shared_ptr<asio::ssl::context> c)
        : ctx(std::move(c)), stream(std::move(s), *ctx) {}
  };
  auto holder = std::make_shared<Holder>(std::move(socket), std::move(ctx));
  return std::shared_ptr<TlsStream>(holder, &holder->stream);
}

// kUnacknowledgedLimit (peer_network.h), and no Nagle delay.
template <class Socket>
void end_when_unacknowledged(Socket& s) {
  std::error_code ec;
  s.set_option(asio::ip::tcp::no_delay(true), ec);
  using UserTimeout = asio::detail::socket_option::integer<IPPROTO_TCP, TCP_USER_TIMEOUT>;
  s.set_option(UserTimeout(static_cast<int>(kUnacknowledgedLimit.count())), ec);
}

std::string endpoint_text(const asio::ip::tcp::socket& s) {
  std::error_code ec;
  auto ep = s.remote_endpoint(ec);
  return ec ? std::string("?") : ep.address().to_string() + ":" + std::to_string(ep.port());
}

struct DialOp : std::enable_shared_from_this<DialOp> {
  DialOp(asio::io_context& io, std::shared_ptr<TlsStream> s, PeerNetwork::DialHandler d)
      : stream(std::move(s)), timer(io), resolver(io), done(std::move(d)) {}
  std::shared_ptr<TlsStream> stream;
  asio::steady_timer timer;
  asio::ip::tcp::resolver resolver;
  PeerNetwork::DialHandler done;
  std::string address;
  std::string hello;
  std::uint8_t ack = 0;
  bool finished = false;

  void fail(const std::string& why) {
    finish(make_error(ErrorCode::unavailable, "cannot connect to peer " + address + ": " + why));
  }
  void finish(Result<std::shared_ptr<TlsStream>> r) {
    if (finished) return;
    finished = true;
    timer.cancel();
    resolver.cancel();
    if (!r) {
      std::error_code ec;
      stream->lowest_layer().close(ec);
    }
    auto d = std::move(done);
    d(std::move(r));
  }
};

}  // namespace

Result<std::pair<std::string, std::uint16_t>> split_address(const std::string& address) {
  auto e = Endpoint::split(address);
  if (!e) return e.error();
  return std::make_pair(e->host, e->port);
}

PeerNetwork::PeerNetwork(std::shared_ptr<tls::TlsContextSource> tls, std::uint64_t self_id,
                         std::string self_address)
    : tls_(std::move(tls)),
      self_id_(self_id),
      self_address_(std::move(self_address)),
      work_(asio::make_work_guard(io_)),
      acceptor_(io_),
      accept_retry_(io_) {
  thread_ = std::thread([this] {
    set_thread_name("raft-net");
    io_.run();
  });
}

PeerNetwork::~PeerNetwork() { stop(); }

void PeerNetwork::on_accept(Channel channel, AcceptHandler handler) {
  std::lock_guard lock(mutex_);
  handlers_[channel] = std::move(handler);
}

Status PeerNetwork::listen() {
  auto hp = split_address(self_address_);
  if (!hp) return hp.error();
  std::error_code ec;
  auto ip = asio::ip::make_address(hp->first, ec);
  if (ec) return make_error("cluster address '" + self_address_ + "' must be a numeric IP:port");
  asio::ip::tcp::endpoint ep(ip, hp->second);
  std::promise<Status> result;
  asio::post(io_, [&] {
    std::error_code e;
    acceptor_.open(ep.protocol(), e);
    if (!e) acceptor_.set_option(asio::socket_base::reuse_address(true), e);
    if (!e) acceptor_.bind(ep, e);
    if (!e) acceptor_.listen(asio::socket_base::max_listen_connections, e);
    if (e) {
      std::error_code ignored;
      acceptor_.close(ignored);
      result.set_value(make_error("cannot listen on " + self_address_ + ": " + e.message(),
                                  "check that the address is configured on this host and the port is free"));
      return;
    }
    accept_next();
    result.set_value(ok_status());
  });
  return result.get_future().get();
}

void PeerNetwork::accept_next() {
  acceptor_.async_accept([this](std::error_code ec, asio::ip::tcp::socket socket) {
    if (ec == asio::error::operation_aborted || !acceptor_.is_open()) return;
    if (!ec) {
      handshake_incoming(std::move(socket));
      return accept_next();
    }
    // Out of descriptors (or buffers): the pending connection stays queued and
    // accepting again at once fails again; wait instead of spinning.
    if (refusals_.should_log("accept " + ec.message(), std::chrono::steady_clock::now()))
      logger("cluster")->warn("node {}: cannot accept peer connections on {}: {} (retrying every 100 ms)", self_id_,
                              self_address_, ec.message());
    accept_retry_.expires_after(std::chrono::milliseconds(100));
    accept_retry_.async_wait([this](std::error_code e) {
      if (!e && acceptor_.is_open()) accept_next();
    });
  });
}

void PeerNetwork::handshake_incoming(asio::ip::tcp::socket socket) {
  std::error_code ec;
  end_when_unacknowledged(socket);
  std::string remote = endpoint_text(socket);
  std::string source_host = host_of(remote);
  // Peers retry every few tens of ms: say it once per 10 s per address and reason.
  auto log_refusal = [this, remote, source_host](const std::string& why) {
    std::size_t unsaid = 0;
    if (!refusals_.should_log(source_host + " " + why, std::chrono::steady_clock::now(), &unsaid)) return;
    logger("cluster")->warn("node {}: refused peer connection from {}: {}{}", self_id_, remote, why,
                            unsaid ? " (" + std::to_string(unsaid) + " other refusals not logged)" : "");
  };
  auto ticket = gate_->enter(source_host);
  if (!ticket) {
    log_refusal("too many unfinished handshakes (at most " + std::to_string(HandshakeGate::kMaxPending) +
                " on the port, " + std::to_string(HandshakeGate::kMaxPendingPerHost) + " per address)");
    socket.close(ec);
    return;
  }
  auto stream = track(make_stream(std::move(socket), tls_->current()));
  auto timer = std::make_shared<asio::steady_timer>(io_, std::chrono::seconds(5));
  timer->async_wait([stream, ticket](std::error_code e) {
    if (!e) stream->lowest_layer().close(e);
  });
  auto refuse = [stream, timer, log_refusal](const std::string& why) {
    log_refusal(why);
    timer->cancel();
    std::error_code e;
    stream->lowest_layer().close(e);
  };
  stream->async_handshake(asio::ssl::stream_base::server, [=, this](std::error_code e) {
    if (e) return refuse("TLS handshake failed: " + e.message());
    auto head = std::make_shared<std::array<char, kHelloFixed>>();
    asio::async_read(*stream, asio::buffer(*head), [=, this](std::error_code e, size_t) {
      if (e) return refuse("no hello: " + e.message());
      wire::Reader r(std::string_view(head->data(), head->size()));
      if (std::string_view(head->data(), 4) != std::string_view(kMagic, 4)) return refuse("bad hello");
      r.u32();
      PeerHello hello;
      hello.channel = static_cast<Channel>(r.u8());
      hello.id = r.u64();
      std::uint16_t len = r.u16();
      if (len == 0 || len > 255 || hello.id == 0) return refuse("bad hello");
      auto addr = std::make_shared<std::string>(len, '\0');
      asio::async_read(*stream, asio::buffer(*addr), [=, this](std::error_code e, size_t) mutable {
        if (e) return refuse("no hello: " + e.message());
        hello.address = *addr;
        if (hello.id == self_id_) return refuse("it claims this node's own id " + std::to_string(self_id_));
        auto cert = tls::peer_certificate(stream->native_handle());
        if (!cert) return refuse("no verified certificate");
        hello.subject = cert->subject;
        auto claimed = split_address(hello.address);
        hello.standing = claimed ? judge_peer(*cert, claimed->first, source_host) : PeerStanding::refused;
        if (hello.standing == PeerStanding::refused)
          return refuse("its certificate '" + cert->subject + "' does not name " +
                        (claimed ? claimed->first : hello.address) + " (the node " + std::to_string(hello.id) +
                        " it claims to be), is not in the trust bundle, and the connection does not come from there; "
                        "name each node's address in its certificate (subjectAltName) or trust its certificate");
        if (hello.channel == Channel::probe) {
          // It only wanted to see our certificate: acknowledge, then close.
          static const std::uint8_t ack = kAccepted;
          asio::async_write(*stream, asio::buffer(&ack, 1), [=](std::error_code, size_t) {
            timer->cancel();
            std::error_code ignored;
            stream->lowest_layer().close(ignored);
          });
          return;
        }
        AcceptHandler handler;
        {
          std::lock_guard lock(mutex_);
          auto it = handlers_.find(hello.channel);
          if (it != handlers_.end()) handler = it->second;
        }
        if (!handler) return refuse("channel not served");
        static const std::uint8_t ack = kAccepted;
        asio::async_write(*stream, asio::buffer(&ack, 1), [=](std::error_code e, size_t) {
          timer->cancel();
          if (e) return refuse("hello not acknowledged: " + e.message());
          handler(stream, hello);
        });
      });
    });
  });
}

void PeerNetwork::dial(const std::string& address, Channel channel, DialHandler done,
                       std::chrono::milliseconds timeout) {
  auto hp = split_address(address);
  if (!hp) {
    asio::post(io_, [done = std::move(done), e = hp.error()] { done(e); });
    return;
  }
  auto op = std::make_shared<DialOp>(io_, track(make_stream(asio::ip::tcp::socket(io_), tls_->current())),
                                     std::move(done));
  op->address = address;
  op->hello = wire::Writer()
                  .raw(std::string_view(kMagic, 4))
                  .u8(static_cast<std::uint8_t>(channel))
                  .u64(self_id_)
                  .u16(static_cast<std::uint16_t>(self_address_.size()))
                  .raw(self_address_)
                  .take();
  // Connect from this node's own address, as a separate server would (peers and
  // firewalls see the member's address, not the loopback default).
  std::error_code ec;
  auto self = split_address(self_address_);
  std::optional<asio::ip::address> source;
  if (self) {
    auto ip = asio::ip::make_address(self->first, ec);
    if (!ec) source = ip;
  }
  asio::post(io_, [op, timeout, source, host = hp->first, port = std::to_string(hp->second)] {
    op->timer.expires_after(timeout);
    op->timer.async_wait([op](std::error_code e) {
      if (!e) op->fail("timed out");
    });
    op->resolver.async_resolve(host, port, [op, source](std::error_code e, asio::ip::tcp::resolver::results_type results) {
      if (op->finished) return;
      if (e) return op->fail(e.message());
      if (source && !results.empty()) {
        auto& sock = op->stream->lowest_layer();
        std::error_code be;
        sock.open(results.begin()->endpoint().protocol(), be);
        if (!be && results.begin()->endpoint().protocol() == (source->is_v4() ? asio::ip::tcp::v4() : asio::ip::tcp::v6()))
          sock.bind(asio::ip::tcp::endpoint(*source, 0), be);
        if (be) return op->fail("cannot bind to " + source->to_string() + ": " + be.message());
      }
      // One endpoint, connected on the (bound) socket: the range form of
      // async_connect would reopen the socket and lose the source address.
      auto endpoint = results.begin()->endpoint();
      op->stream->lowest_layer().async_connect(endpoint, [op](std::error_code e) {
        if (op->finished) return;
        if (e) return op->fail(e.message());
        end_when_unacknowledged(op->stream->lowest_layer());
        op->stream->async_handshake(asio::ssl::stream_base::client, [op](std::error_code e) {
          if (op->finished) return;
          if (e) return op->fail("TLS handshake failed: " + e.message());
          asio::async_write(*op->stream, asio::buffer(op->hello), [op](std::error_code e, size_t) {
            if (op->finished) return;
            if (e) return op->fail("hello: " + e.message());
            asio::async_read(*op->stream, asio::buffer(&op->ack, 1), [op](std::error_code e, size_t) {
              if (op->finished) return;
              if (e || op->ack != kAccepted)
                return op->fail("refused by the peer (" + (e ? e.message() : std::string("bad answer")) +
                                "): is our certificate trusted there?");
              op->finish(op->stream);
            });
          });
        });
      });
    });
  });
}

void PeerNetwork::probe(const std::string& address, std::function<void(Result<tls::PresentedChain>)> done,
                        std::chrono::milliseconds timeout) {
  dial(address, Channel::probe, [address, done = std::move(done)](Result<std::shared_ptr<TlsStream>> stream) {
    if (!stream) return done(stream.error());
    auto chain = tls::presented_chain((*stream)->native_handle());
    std::error_code ec;
    (*stream)->lowest_layer().close(ec);
    if (!chain) return done(make_error("peer " + address + " presented no certificate"));
    chain->peer = host_of(address);
    done(std::move(*chain));
  }, timeout);
}

std::shared_ptr<TlsStream> PeerNetwork::track(std::shared_ptr<TlsStream> stream) {
  std::lock_guard lock(mutex_);
  if (streams_.size() >= 64 && streams_.size() >= 2 * live_streams_hint_) {
    std::erase_if(streams_, [](auto& w) { return w.expired(); });
    live_streams_hint_ = streams_.size();
  }
  streams_.push_back(stream);
  return stream;
}

void PeerNetwork::stop() {
  if (!thread_.joinable()) return;
  // Close every connection now, not when the io_context is destroyed: a peer
  // must see this member go (and re-dial its successor on the same address)
  // even while this object lives on.
  std::promise<void> closed;
  asio::post(io_, [this, &closed] {
    std::error_code ec;
    acceptor_.close(ec);
    std::vector<std::weak_ptr<TlsStream>> streams;
    {
      std::lock_guard lock(mutex_);
      streams.swap(streams_);
    }
    for (auto& w : streams)
      if (auto s = w.lock()) s->lowest_layer().close(ec);
    closed.set_value();
  });
  closed.get_future().wait();
  work_.reset();
  io_.stop();
  thread_.join();
}

}  // namespace convene::cluster
