#pragma once
// The XMPP service of one node: client connections (RFC 6120/6121) on 5222 on the
// node's listen addresses, and call-bridge component connections (XEP-0114) on
// 5223 on the cluster interface and loopback only (Settings::component_addresses).
// Created by the daemon; started and stopped by `xmpp enable|disable`.
//
// Thread-safety: start/stop/status may be called from any thread (admin
// conversations); the service runs its own event-loop threads.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "util/result.h"
#include "xmpp/cluster_bus.h"
#include "xmpp/settings.h"
#include "xmpp/store.h"
#include "xmpp/stream_transport.h"

namespace convene::xmpp {

struct ServiceStatus {
  bool running = false;
  std::vector<std::string> listening;       // "127.0.1.1:5222", ...
  size_t client_sessions = 0;               // on this node
  std::vector<std::string> components;      // connected "cb1.tptac9.com from 127.0.0.1:4711"
  size_t cluster_sessions = 0;              // on the other nodes of the cluster
  std::vector<std::string> cluster_components;  // connected to other nodes
  // Stanzas this node sent to other nodes, sent again (unconfirmed in time or after a
  // leader change), still unconfirmed, delivered here for other nodes, repeats dropped.
  std::uint64_t forwarded = 0, resent = 0, unconfirmed = 0, delivered_for_others = 0, duplicates = 0;
  // Stanzas this node routed (server.h's Server::routed), by kind.
  std::uint64_t routed_messages = 0, routed_presences = 0, routed_iqs = 0;
  // Of the forwarded, those first sent straight to the node holding the recipient
  // (not through the leader); stanzas this node passed on as leader for other nodes.
  std::uint64_t forwarded_straight = 0, passed_on = 0;
};

// Who holds a component domain ("cb1.tptac9.com") now, as this node's session
// registry sees it: the answer routing uses, for status output.
struct ComponentHolder {
  enum class Where { unknown, nobody, here, other_node };
  Where where = Where::unknown;
  std::string why_unknown;  // unknown: the reason, for people
  std::uint64_t node = 0;   // other_node: the cluster member id
  bool standby = false;     // here: the connection said it is a standby (component.h)
  std::string peer;         // here: "127.0.0.1:4711"
};

class Service {
 public:
  virtual ~Service() = default;
  // Checks the settings (certificate and key readable and matching, domain set,
  // addresses bindable), binds the listeners and starts serving. On error nothing
  // is left running.
  virtual Status start(const Settings& settings) = 0;
  // Closes every stream (with <system-shutdown/>) and the listeners.
  virtual void stop() = 0;
  virtual ServiceStatus status() const = 0;
  virtual ComponentHolder component_holder(const std::string& domain) const = 0;
  // Replaces the listeners' certificate (client and component STARTTLS) while the
  // service runs: the files are checked and the context built first; on any error
  // nothing changes. New handshakes use it; established sessions keep theirs and
  // stay up. An error when the service is not running.
  virtual Status replace_certificate(const std::string& key_file, const std::string& cert_file,
                                     const std::string& bundle_file) = 0;
  // Joins the service to an XMPP cluster (null: leaves it): sessions and call
  // bridges of the other nodes become reachable (cluster_router.h). Kept across
  // stop/start.
  virtual void set_cluster(std::shared_ptr<ClusterBus> bus) = 0;

  // A client stream carried by something other than the client listener
  // (stream_transport.h: XMPP over WebSocket), on one of the service's loops, under
  // the same limits and per-address connection count as TCP clients. `secure`: the
  // carrier is encrypted. Null stream when the service is not running.
  struct CarriedStream {
    std::shared_ptr<TransportedStream> stream;
    size_t max_stanza_bytes = 0;  // the carrier refuses larger messages before reading them
  };
  virtual CarriedStream open_client_stream(std::shared_ptr<StreamTransport> transport, bool secure,
                                           std::string peer_ip, uint16_t peer_port) = 0;
};

std::unique_ptr<Service> make_service(XmppStore& store);

}  // namespace convene::xmpp
