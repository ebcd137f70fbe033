#pragma once
// Call-bridge component connections (XEP-0114, jabber:component:accept) on 5223.
//
// The component opens a stream to '<name>.<domain>'; we answer with a stream id;
// it proves the shared secret with <handshake>hex(SHA-1(id + secret))</handshake>.
// A wrong secret (or an unknown name) ends the stream with <not-authorized/> and a
// log line naming the call bridge and the peer; so does a stored secret weaker
// than check_component_secret() allows. Repeated failures from one address close
// it for a while (abuse_limits.h): handshakes meanwhile get <policy-violation/>.
// One live connection per name: a newer one replaces the older (which gets
// <conflict/>).
//
// Stanzas routed to a bridge and not answered yet when its connection ends (killed,
// replaced, yielding) are routed again, to the next holder or to wait for one
// (unanswered_stanzas.h, component_wait.h).
//
// Standby instances (<handshake standby='true'>): every node of a cluster runs one
// for each call bridge it does not serve itself, so a bridge whose node died is
// taken over on another node. A standby is let in only while nobody in the cluster
// holds the name: while it is held, the standby's handshake waits up to
// kStandbyWait for it to free (the bridge's node was dropped from the cluster),
// then gets <conflict/> (not counted as a failed handshake: it tries again
// shortly). Waiting here, not asking again and again, lets it in within
// kStandbyCheck + kStandbyJitter of the name freeing, with one TLS handshake every
// second or so per standby instead of several a second. A standby yields to any
// other claim: a newer connection on this node replaces it as usual, and a claim
// from another node closes it
// (cluster_router_registry.cpp). Of two standbys let in at once on two nodes, both
// yield and try again after a random pause; one then wins. The bridge that holds
// the name reads its rooms back from the store (component_occupants.h).
//
// TLS: a component that opens its stream with version='1.0' is offered STARTTLS
// in stream features (as XEP-0225 does) with the XMPP certificate; after TLS the
// stream restarts with a new id and the handshake follows as usual.
//
// Threads: like every Connection; send() from any thread (the router).
#include <asio/steady_timer.hpp>

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "xmpp/component_occupants.h"
#include "xmpp/connection.h"
#include "xmpp/session.h"
#include "xmpp/unanswered_stanzas.h"
#include "xmpp_core/component_handshake.h"

namespace convene::xmpp {

class ComponentStream : public Connection, public ComponentLink {
 public:
  ComponentStream(Server& server, asio::ip::tcp::socket socket);
  const std::string& domain() const { return domain_; }

  // ComponentLink, for the session registry.
  void send(std::string_view bytes) override {
    if (unanswered_.sent(bytes, UnansweredStanzas::Clock::now()))
      Connection::send(bytes);
    else
      route_elsewhere(bytes);
  }
  Forwarded send_forwarded(std::string_view bytes, const ForwardedFrom& from) override;
  const std::string& peer() const override { return Connection::peer(); }
  void replaced() override { post_close("conflict", "replaced by a newer connection"); }
  bool standby() const override { return standby_; }

 protected:
  // A stanza that found this stream in the registry after its connection ended
  // (unanswered_stanzas.h): routed again, to the next holder, on this stream's loop.
  void route_elsewhere(std::string_view bytes);
  void on_stream_open(const xml::StreamHeader& header) override;
  void handle_stanza(xml::Element& stanza, std::string_view raw) override;
  void handle_close() override;
  void on_disconnect() override;
  bool read_rate_limited() const override { return !handshaken_; }

 private:
  // Well below the bridge's connect time-out (2 s from the TCP connect,
  // callbridge/connector.h): it gets an answer before it gives up on this connection.
  static constexpr auto kStandbyWait = std::chrono::milliseconds(1000);
  static constexpr auto kStandbyCheck = std::chrono::milliseconds(50);
  static constexpr auto kStandbyJitter = std::chrono::milliseconds(100);

  bool name_held() const;
  // The handshake is right: the name is this connection's from now on.
  void let_in();
  // A standby's handshake while the name is held: looks again every kStandbyCheck
  // until `until` (on this stream's loop).
  void wait_for_free_name(std::chrono::steady_clock::time_point until);
  void check_free_name(std::chrono::steady_clock::time_point until);
  // Whether a handshake from this address must wait (then the stream has ended).
  bool throttled();
  // Counts a failed handshake against the peer's address and ends the stream.
  void refuse(std::string_view condition, std::string_view text);

  std::string domain_;  // "cb1.tptac9.com"
  std::string name_;    // "cb1"
  bool handshaken_ = false;
  bool standby_ = false;
  std::unique_ptr<asio::steady_timer> standby_timer_;             // while a standby waits for the name
  std::optional<std::chrono::steady_clock::time_point> let_in_at_;  // the name was seen free: let in at this time if it still is
  std::shared_ptr<ComponentOccupants> occupants_;  // after the handshake
  // Routed to the next holder when this connection ends (unanswered_stanzas.h).
  UnansweredStanzas unanswered_;
};

}  // namespace convene::xmpp
