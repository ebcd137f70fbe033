#pragma once
// What the XMPP cluster router needs from the cluster: who leads, who the
// members are, and a way to send them messages. Implemented by ClusterStore over
// the consensus layer (cluster/consensus.h); a separate interface so the router
// can be tested and so the service does not depend on the store.
// Threads: every method from any thread.
#include <cstdint>
#include <functional>
#include <string>

#include "cluster/consensus.h"

namespace convene::xmpp {

class ClusterBus {
 public:
  using MessageHandler = std::function<void(std::uint64_t from, std::string message)>;
  virtual ~ClusterBus() = default;
  virtual cluster::ConsensusStatus status() const = 0;
  // Ordered per destination, best effort (cluster/peer_links.h).
  virtual void send(std::uint64_t member, std::string message) = 0;
  // Replaces the handler of incoming messages (null: they are dropped). Returns
  // once no call of the previous handler is running; must not be called from one.
  virtual void set_message_handler(MessageHandler handler) = 0;
  // Runs `done` (on some cluster thread) once this node's copy of the replicated
  // store holds everything the cluster committed before the call — or once that
  // cannot be had (no leader in time): the caller goes on either way.
  virtual void sync(std::function<void()> done) = 0;
};

}  // namespace convene::xmpp
