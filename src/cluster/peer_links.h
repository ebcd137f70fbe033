#pragma once
// Persistent one-way message links between members (Channel::messages), for the
// application's own traffic (the XMPP cluster forwards stanzas and its session
// registry on them). One outgoing connection per destination, dialed when the
// first message is queued and re-dialed after a failure; messages to one
// destination leave in the order they were queued, several per write.
//
// Best effort by design: a message queued while the destination is down waits
// (up to kMaxQueuedBytes per destination; beyond that new messages are dropped
// and the drop is logged), and a message written to a connection that then
// breaks may be lost. Callers that need delivery confirm it at their level and
// resend (at-least-once), as the XMPP cluster router does.
//
// Receiving: every whole message a read brought goes to the handler before the
// next read (FrameSplitter), and what the handler sends for them leaves together;
// after_this_read() lets it answer them all in one message.
//
// Threading: send() from any thread; the handler runs on the network thread and
// must not block. Lifetime: stop the PeerNetwork before destroying this object.
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "cluster/peer_network.h"

namespace convene::cluster {

class PeerLinks {
 public:
  using Handler = std::function<void(std::uint64_t from, std::string message)>;
  static constexpr size_t kMaxQueuedBytes = 64u << 20;

  explicit PeerLinks(PeerNetwork& network) : network_(network) {}
  // Receives messages with `handler` (call before PeerNetwork::listen()) on the
  // links of peers `admit` accepts (network thread; asked once per link).
  void serve(Handler handler, std::function<bool(const PeerHello&)> admit = nullptr);
  void send(const std::string& address, std::string message);
  // From a Handler: runs `fn` on the network thread once the handler has had
  // every message of the read it is handling (before the next read), so that
  // answers to them all can go in one message. Anywhere else: at once.
  static void after_this_read(std::function<void()> fn);

 private:
  struct Link;
  // Moves what send() gathered onto the links' queues, then starts their writes
  // (network thread).
  void take_outbox();
  void enqueue(const std::string& address, std::string message);
  void kick(const std::shared_ptr<Link>& link);
  void broken(const std::shared_ptr<Link>& link, const std::string& why);

  PeerNetwork& network_;
  std::map<std::string, std::shared_ptr<Link>> links_;  // network thread only
  // Messages sent from other threads, handed to the network thread in batches: one
  // wake-up and one write for what a busy sender queued meanwhile, not one each.
  std::mutex outbox_mu_;
  std::vector<std::pair<std::string, std::string>> outbox_;  // (address, message)
};

}  // namespace convene::cluster
