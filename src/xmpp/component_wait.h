#pragma once
// Stanzas for a call bridge name that nobody holds at this moment wait a short,
// bounded time for a holder, then are delivered to it, or bounced.
//
// Why: a bridge that dies is taken over by a standby (or restarted) within about
// two seconds; a stanza arriving in that window used to be bounced at once (or,
// before that, lost). Waiting for the takeover turns most of those bounces into
// deliveries; the bounds (kWait, kMaxCount, kMaxBytes) keep the memory and the
// sender's wait small when no holder comes, and what passes them is bounced with
// a "wait" error (undeliverable.h), never dropped. Stanzas for a name keep their
// order: while some wait, newer ones queue behind them.
//
// Threads: hold/waiting from any thread (the router), without the registry's lock
// held; the tick runs on one of the service's loops (start). stop() before the
// loop's io_context is destroyed.
#include <asio/io_context.hpp>
#include <asio/steady_timer.hpp>

#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "xmpp/hold_queue.h"

namespace convene::xmpp {

class Server;

class ComponentWait {
 public:
  // A standby takes a free name over within ~2.5 s of its node noticing (it asks
  // every 200-400 ms, after the leader dropped a dead node's claim at 2 s): 3 s
  // covers a takeover or restart here without making a sender wait long for the
  // bounce when none comes.
  static constexpr auto kWait = std::chrono::milliseconds(3000);
  // Three seconds of a busy space (hundreds of stanzas a second) fit; a flood
  // beyond that is bounced rather than kept.
  static constexpr size_t kMaxCount = 4096;
  static constexpr size_t kMaxBytes = 8 * 1024 * 1024;
  static constexpr auto kTick = std::chrono::milliseconds(50);

  explicit ComponentWait(Server& server);
  ~ComponentWait();

  // Keeps `bytes` (addressed to `domain`) until a holder appears; false when the
  // bounds are reached (the caller bounces it).
  bool hold(std::string_view domain, std::string_view bytes);
  // Whether stanzas wait for `domain` (a new one must wait behind them).
  bool waiting(std::string_view domain) const;
  size_t count() const;

  void start(asio::io_context& io);
  void stop();
  // Delivers what has a holder now, bounces what waited kWait (the timer's work).
  void tick();

 private:
  void schedule();

  Server& server_;
  mutable std::mutex mu_;
  HoldQueue queue_;
  // queue_.count(), readable without mu_: the message path asks waiting() for
  // every stanza to a call bridge, and almost always nothing waits.
  std::atomic<size_t> held_{0};
  std::unique_ptr<asio::steady_timer> timer_;  // loop thread
};

}  // namespace convene::xmpp
