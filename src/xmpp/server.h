#pragma once
// Internal to the XMPP service: the state every connection shares.
//
// Threads: the service runs N io_contexts, one thread each ("one event loop per
// core"). A connection lives on one io_context for its whole life; everything it
// owns (parser, SASL state, timers) is touched only there. What other threads may
// touch is named below: the routing registry (session_registry.h, which owns its
// lock), the cluster router (cluster_mu) and the connection list (conn_mu).
#include <asio.hpp>
#include <asio/ssl.hpp>

#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <spdlog/spdlog.h>

#include "xml/element.h"
#include "xmpp/abuse_limits.h"
#include "xmpp/plain_verifier_cache.h"
#include "xmpp/session.h"
#include "xmpp/session_registry.h"
#include "xmpp/settings.h"
#include "xmpp/store.h"
#include "xmpp_core/jid.h"
#include "xmpp_core/namespaces.h"
#include "xmpp_core/stanza_error.h"

namespace convene::xmpp {

class Connection;
class ClientStream;
class ComponentStream;
class ClusterRouter;
class ComponentWait;
class Session;

class Server {
 public:
  Server(XmppStore& store, Settings settings, std::shared_ptr<asio::ssl::context> tls)
      : store(store), settings(std::move(settings)), tls_(std::move(tls)) {}

  XmppStore& store;
  const Settings settings;  // as started; the certificate files may have been replaced since (set_tls)

  // The listeners' TLS context (client and component STARTTLS); null: no TLS (only
  // possible with allow_plaintext). Replaced by `xmpp certs` while the service
  // runs: a handshake takes the current one when it begins; SSL_new holds its
  // own reference, so sessions made from an older context keep working. Any thread.
  std::shared_ptr<asio::ssl::context> tls() const {
    std::lock_guard lock(tls_mu_);
    return tls_;
  }
  void set_tls(std::shared_ptr<asio::ssl::context> tls) {
    std::lock_guard lock(tls_mu_);
    tls_ = std::move(tls);
  }
  std::shared_ptr<spdlog::logger> log;
  PlainVerifierCache plain_cache;  // SASL PLAIN checks (plain_verifier_cache.h)
  AbuseLimits abuse;  // guessing and registration throttles (abuse_limits.h)
  // Set once the service stops: a session whose connection is gone ends instead
  // of waiting for resumption on a node that is going away, so the stanzas its
  // client never acknowledged are routed again (to offline storage, mostly) while
  // the store still takes writes. handing_on counts that work until it is done:
  // sessions ending, and offline writes not yet durable.
  std::atomic<bool> stopping{false};
  std::atomic<int> handing_on{0};
  // Set when a connection gave back its idle buffers; heap_trimmer.h clears it.
  std::atomic<bool> idle_memory_released{false};

  // Stanzas route() was given, by kind (message, presence, iq): every stanza this
  // node routed, to its own users, its components or on to another node. For
  // /metrics; counted since the service started.
  struct RoutedCounters {
    std::atomic<std::uint64_t> message{0}, presence{0}, iq{0};
  };
  RoutedCounters routed;

  // Sessions of this node (ClientStream) and, in a cluster, of the other nodes
  // (RemoteSession, kept by the cluster router), components, resumable sessions.
  SessionRegistry registry;

  // Stanzas for a call bridge name between two holders (component_wait.h); set
  // by the service before it accepts connections, kept until the Server goes.
  std::shared_ptr<ComponentWait> component_wait;

  // ---- the cluster (cluster_router.h); null when not in an XMPP cluster ----
  // For stanzas to components of other nodes; the router hears about this node's
  // sessions as an observer of the registry.
  std::shared_ptr<ClusterRouter> cluster() const {
    std::lock_guard lock(cluster_mu);
    return cluster_router;
  }
  mutable std::mutex cluster_mu;
  std::shared_ptr<ClusterRouter> cluster_router;

  // ---- every open connection (guarded by conn_mu) ----
  std::mutex conn_mu;
  std::unordered_map<Connection*, std::weak_ptr<Connection>> connections;
  std::unordered_map<std::string, unsigned> per_address;
  // Returns false when the address already has its maximum of connections.
  bool admit(Connection* c, std::weak_ptr<Connection> w, const std::string& ip);
  void forget(Connection* c, const std::string& ip);

  // The component domain for a call bridge name, and back.
  bool is_component_domain(std::string_view domain) const;

 private:
  mutable std::mutex tls_mu_;
  std::shared_ptr<asio::ssl::context> tls_;
};

// ---- routing (router.cpp) ----------------------------------------------------

// Route a stanza from `from` (already stamped, full or component JID) to its 'to'.
// `raw` are the stanza's bytes when the parser kept them (see stream_parser.h).
// Handles local users (RFC 6121 §8 rules), components and unknown domains; never
// handles stanzas addressed to the server itself (the caller does that first).
void route(Server& server, const Jid& from, const Jid& to, xml::Element& stanza, std::string_view raw);

// Reply to `stanza` with a stanza error, addressed back to its sender (`from`), and
// route it. Error stanzas are never answered (RFC 6120 §8.3.1).
void bounce(Server& server, const Jid& from, const Jid& to, const xml::Element& stanza, StanzaError error);

// The stanza's bytes with new from/to: raw when available, else serialized.
void write_stanza(const xml::Element& stanza, std::string_view raw, std::string_view from,
                  std::string_view to, std::string& out);

// Sends bytes (already addressed) to the component serving `domain`, on this node
// or, in a cluster, on another; false when no node has it.
bool send_to_component(Server& server, std::string_view domain, std::string_view bytes);

// Sessions of a bare JID (a snapshot; empty when none).
std::vector<std::shared_ptr<Session>> sessions_of(Server& server, std::string_view bare);

// ---- presence (presence.cpp) ---------------------------------------------------

// Unavailable presence from `full` (a session that vanished with its node) to the
// user's contacts with a 'from' subscription and to the user's other resources.
void announce_unavailable(Server& server, const Jid& full);

// Current time as XEP-0082 UTC ("2024-01-02T03:04:05Z").
std::string xmpp_timestamp(int64_t seconds_since_epoch);

}  // namespace convene::xmpp
