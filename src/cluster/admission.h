#pragma once
// Limits of a cluster port against peers that are not (yet) authenticated:
// - HandshakeGate: at most kMaxPending unfinished TLS handshakes (+ hello) on the
//   port, and kMaxPendingPerHost from one address, so a flood of half-open
//   handshakes cannot hold every descriptor or the network thread's memory;
// - RefusalLog: "say it once per interval per key" for refusals, with at most
//   kMaxKeys keys remembered: a peer cycling source addresses or reasons cannot
//   grow it without bound (when full, new keys are not logged until old ones
//   expire; the count of those left unsaid is logged with the next line).
// Thread safety: both are internally locked; any thread.
#include <chrono>
#include <cstddef>
#include <map>
#include <memory>
#include <mutex>
#include <string>

namespace convene::cluster {

class HandshakeGate : public std::enable_shared_from_this<HandshakeGate> {
 public:
  static constexpr std::size_t kMaxPending = 128;
  static constexpr std::size_t kMaxPendingPerHost = 32;

  HandshakeGate(std::size_t max_pending = kMaxPending, std::size_t per_host = kMaxPendingPerHost)
      : max_pending_(max_pending), per_host_(per_host) {}

  // A place for one handshake from `host`, held until the ticket is destroyed;
  // nothing when the port or that host is at its limit.
  class Ticket {
   public:
    Ticket(std::shared_ptr<HandshakeGate> gate, std::string host) : gate_(std::move(gate)), host_(std::move(host)) {}
    ~Ticket() { gate_->leave(host_); }
    Ticket(const Ticket&) = delete;
    Ticket& operator=(const Ticket&) = delete;

   private:
    std::shared_ptr<HandshakeGate> gate_;
    std::string host_;
  };
  std::shared_ptr<Ticket> enter(const std::string& host);
  std::size_t pending() const;

 private:
  void leave(const std::string& host);
  const std::size_t max_pending_, per_host_;
  mutable std::mutex mutex_;
  std::size_t pending_ = 0;
  std::map<std::string, std::size_t> per_host_pending_;
};

class RefusalLog {
 public:
  using Clock = std::chrono::steady_clock;
  static constexpr std::size_t kMaxKeys = 1024;

  explicit RefusalLog(Clock::duration interval = std::chrono::seconds(10), std::size_t max_keys = kMaxKeys)
      : interval_(interval), max_keys_(max_keys) {}
  // True when a refusal under `key` should be logged now; `unsaid` gets the
  // number of refusals not logged because the map was full since the last true.
  bool should_log(const std::string& key, Clock::time_point now, std::size_t* unsaid = nullptr);
  std::size_t size() const;

 private:
  const Clock::duration interval_;
  const std::size_t max_keys_;
  mutable std::mutex mutex_;
  std::map<std::string, Clock::time_point> last_;
  std::size_t unsaid_ = 0;
};

}  // namespace convene::cluster
