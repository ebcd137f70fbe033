#include "cluster/peer_links.h"

#include <asio/post.hpp>
#include <asio/read.hpp>
#include <asio/steady_timer.hpp>
#include <asio/write.hpp>

#include "cluster/frames.h"
#include "util/log.h"

namespace convene::cluster {
namespace {

constexpr auto kRedialDelay = std::chrono::milliseconds(100);
constexpr size_t kMaxWriteBytes = 256u << 10;  // one write gathers queued messages up to this

// What after_this_read() deferred, while a Receiver hands on one read's frames.
thread_local std::vector<std::function<void()>>* t_after_read = nullptr;

// Reads whatever the link brings and hands on every whole frame of it (FrameSplitter).
struct Receiver : std::enable_shared_from_this<Receiver> {
  Receiver(std::shared_ptr<TlsStream> s, std::uint64_t f, PeerLinks::Handler h)
      : stream(std::move(s)), from(f), handler(std::move(h)) {}
  std::shared_ptr<TlsStream> stream;
  const std::uint64_t from;
  const PeerLinks::Handler handler;
  FrameSplitter frames;

  void read() {
    auto [data, size] = frames.room();
    stream->async_read_some(asio::buffer(data, size), [self = shared_from_this()](std::error_code ec, size_t n) {
      if (ec) return self->close();
      self->frames.commit(n);
      std::vector<std::function<void()>> after;
      t_after_read = &after;
      while (auto payload = self->frames.next()) self->handler(self->from, std::string(*payload));
      t_after_read = nullptr;
      for (auto& fn : after) fn();
      if (self->frames.failed()) return self->close();
      self->read();
    });
  }
  void close() {
    std::error_code e;
    stream->lowest_layer().close(e);
  }
};

}  // namespace

struct PeerLinks::Link {
  std::string address;
  std::deque<std::string> queue;
  size_t queued_bytes = 0;
  std::shared_ptr<TlsStream> stream;
  bool dialing = false, writing = false, redial_pending = false;
  std::string out;  // the write in progress
  size_t dropped = 0;
  std::unique_ptr<asio::steady_timer> timer;
  char probe = 0;  // the acceptor never writes: a read completing means the link broke
};

void PeerLinks::serve(Handler handler, std::function<bool(const PeerHello&)> admit) {
  network_.on_accept(Channel::messages, [handler, admit](std::shared_ptr<TlsStream> s, PeerHello from) {
    if (admit && !admit(from)) {
      std::error_code ec;
      s->lowest_layer().close(ec);
      return;
    }
    std::make_shared<Receiver>(std::move(s), from.id, handler)->read();
  });
}

void PeerLinks::after_this_read(std::function<void()> fn) {
  if (!t_after_read) return fn();
  t_after_read->push_back(std::move(fn));
}

void PeerLinks::send(const std::string& address, std::string message) {
  bool first;
  {
    std::lock_guard lock(outbox_mu_);
    first = outbox_.empty();
    outbox_.emplace_back(address, std::move(message));
  }
  if (first) asio::post(network_.io(), [this] { take_outbox(); });
}

void PeerLinks::take_outbox() {
  std::vector<std::pair<std::string, std::string>> batch;
  {
    std::lock_guard lock(outbox_mu_);
    batch.swap(outbox_);
  }
  std::vector<std::shared_ptr<Link>> touched;
  for (auto& [address, message] : batch) {
    enqueue(address, std::move(message));
    if (auto& link = links_[address]; touched.empty() || touched.back() != link) touched.push_back(link);
  }
  for (auto& link : touched) kick(link);  // once per link: one write for the batch (kick ignores repeats)
}

void PeerLinks::enqueue(const std::string& address, std::string message) {
  auto& link = links_[address];
  if (!link) {
    link = std::make_shared<Link>();
    link->address = address;
    link->timer = std::make_unique<asio::steady_timer>(network_.io());
  }
  if (link->queued_bytes + message.size() > kMaxQueuedBytes) {
    if (link->dropped++ % 1000 == 0)
      logger("cluster")->warn("messages to {}: queue full ({} bytes), {} dropped so far", address, link->queued_bytes,
                              link->dropped);
    return;
  }
  link->queued_bytes += message.size();
  link->queue.push_back(std::move(message));
}

void PeerLinks::kick(const std::shared_ptr<Link>& link) {
  if (link->queue.empty() || link->writing || link->dialing || link->redial_pending) return;
  if (!link->stream) {
    link->dialing = true;
    network_.dial(link->address, Channel::messages, [this, link](Result<std::shared_ptr<TlsStream>> r) {
      link->dialing = false;
      if (!r) return broken(link, r.error().message);
      link->stream = *r;
      auto stream = link->stream;
      asio::async_read(*stream, asio::buffer(&link->probe, 1), [this, link, stream](std::error_code, size_t) {
        if (link->stream == stream) broken(link, "closed by the peer");
      });
      kick(link);
    });
    return;
  }
  link->out.clear();
  while (!link->queue.empty() && link->out.size() < kMaxWriteBytes) {
    append_frame(link->queue.front(), link->out);
    link->queued_bytes -= link->queue.front().size();
    link->queue.pop_front();
  }
  link->writing = true;
  auto stream = link->stream;
  asio::async_write(*stream, asio::buffer(link->out), [this, link, stream](std::error_code ec, size_t) {
    link->writing = false;
    if (link->stream != stream) return kick(link);  // broke meanwhile: redial for what is queued
    if (ec) return broken(link, ec.message());
    kick(link);
  });
}

void PeerLinks::broken(const std::shared_ptr<Link>& link, const std::string& why) {
  if (link->stream) {
    std::error_code ec;
    link->stream->lowest_layer().close(ec);
    link->stream.reset();
  }
  logger("cluster")->debug("message link to {}: {}", link->address, why);
  if (link->queue.empty() || link->redial_pending) return;
  link->redial_pending = true;
  link->timer->expires_after(kRedialDelay);
  link->timer->async_wait([this, link](std::error_code) {
    link->redial_pending = false;
    kick(link);
  });
}

}  // namespace convene::cluster
