#pragma once
// A bound client session as the router sees it: something with a full JID and a
// presence that stanzas can be delivered to. Local sessions are ClientStreams;
// in a cluster, sessions held by other nodes are RemoteSessions (their
// deliver() forwards the stanza through the cluster, cluster_router.h).
//
// Threads: every method may be called from any thread. jid() never changes.
// The router reads several fields at once under state_mutex() with the
// *_unlocked accessors.
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>

#include "xmpp_core/jid.h"

namespace convene::xmpp {

class Session {
 public:
  virtual ~Session() = default;
  // A stanza for this session, already addressed to it.
  virtual void deliver(std::string_view bytes) = 0;
  virtual const Jid& jid() const = 0;
  virtual bool available() const = 0;
  virtual int priority() const = 0;
  virtual std::string presence() const = 0;  // last available presence (raw, as the user sent it)
  virtual std::mutex& state_mutex() const = 0;
  virtual bool available_unlocked() const = 0;
  virtual int priority_unlocked() const = 0;
  // The cluster member holding the session; 0 for a session of this node.
  virtual std::uint64_t node() const { return 0; }
  // An offline message for this session's user was stored here, maybe after this
  // session's initial presence read the offline store (offline.cpp).
  virtual void offline_stored() {}
};

// How the cluster member that forwarded a stanza numbered it: whom to confirm it to.
struct ForwardedFrom {
  std::uint64_t node = 0, incarnation = 0, seq = 0;
  auto operator<=>(const ForwardedFrom&) const = default;
};

// A call bridge (XEP-0114 component) connected to this node, as the session
// registry sees it: somewhere to send stanzas. ComponentStream implements it, so
// the registry needs no connection code (and includes nothing above itself).
// Threads: every method may be called from any thread.
class ComponentLink {
 public:
  virtual ~ComponentLink() = default;
  // A stanza for the component, already addressed to it.
  virtual void send(std::string_view bytes) = 0;
  virtual const std::string& peer() const = 0;  // "127.0.0.1:4711", for status
  // A newer connection took over this component's domain: end this one.
  virtual void replaced() = 0;
  // A standby instance (it said so at its handshake): it holds the domain only
  // while nobody else claims it, and yields to any other claim (component.h).
  virtual bool standby() const { return false; }

  // A stanza another cluster member forwarded (cluster_router.h): `from` is how
  // that member numbered it. awaiting_answer: the origin is confirmed only once the
  // bridge has answered it (ClusterRouter::bridge_answered), or told to send it
  // again if the connection ends first (ClusterRouter::bridge_released). gone: the
  // connection had ended, nothing was sent.
  enum class Forwarded { confirmed, awaiting_answer, gone };
  virtual Forwarded send_forwarded(std::string_view bytes, const ForwardedFrom& from) {
    (void)from;
    send(bytes);
    return Forwarded::confirmed;
  }
};

}  // namespace convene::xmpp
