#pragma once
// A client stream (RFC 6120): negotiation (STARTTLS, SASL, bind), then the bound
// session that the router delivers to. Feature modules (roster, presence,
// offline, disco, ping, stream management) are functions over a ClientStream.
//
// Threads: the negotiation state and handlers run on the connection's thread.
// deliver(), jid(), available(), priority() and presence() may be called from any
// thread (the router); the presence state sits under state_mu_. jid() is fixed
// before the session enters the registry and never changes after.
#include <asio.hpp>

#include <atomic>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>

#include "xmpp/connection.h"
#include "xmpp/sasl.h"
#include "xmpp/session.h"
#include "xmpp_core/namespaces.h"

namespace convene::xmpp {

class ClientStream : public Connection, public Session {
 public:
  ClientStream(Server& server, asio::ip::tcp::socket socket);
  // Over a carrier other than its own socket (stream_transport.h).
  ClientStream(Server& server, asio::any_io_executor executor, std::shared_ptr<StreamTransport> transport,
               bool secure, std::string peer_ip, uint16_t peer_port);

  // ---- any thread ----
  // A stanza for this session, already addressed. With stream management on, it
  // is kept until acknowledged (and survives a dropped connection until resumed).
  void deliver(std::string_view bytes) override;
  const Jid& jid() const override { return jid_; }
  // Delivers, on this connection's thread, what was stored offline for this user
  // since its initial presence (once the session is available, priority >= 0).
  void offline_stored() override;
  bool available() const override;
  int priority() const override;
  std::string presence() const override;  // last available presence (raw, as the user sent it)
  // For the router, which reads several fields at once under state_mutex().
  std::mutex& state_mutex() const override { return state_mu_; }
  bool available_unlocked() const override { return available_; }
  int priority_unlocked() const override { return priority_; }

  // ---- this connection's thread (used by the feature modules) ----
  // Reply to an <iq/> with type result (and optional payload built by `fill`).
  void reply_result(const xml::Element& iq, const std::function<void(xml::Element& iq)>& fill = {});
  void reply_error(const xml::Element& iq, StanzaError error);
  // Serialize an element (jabber:client context) and deliver it to this session.
  void deliver_element(const xml::Element& element);
  // Submit store commands; once all are durable, run `then` on this thread. Input
  // from this client waits meanwhile, so its stanzas see their own writes.
  void write_store(std::vector<StoreCommand> commands, std::function<void()> then);
  void set_presence(bool available, int priority, std::string raw);
  std::set<std::string>& directed() { return directed_; }
  bool initial_presence_sent() const { return initial_presence_sent_; }
  void mark_initial_presence() { initial_presence_sent_ = true; }
  // The highest id of the offline messages delivered to this session: their pop
  // may not be applied yet when deliver_offline() runs again.
  uint64_t& offline_delivered() { return offline_delivered_; }
  bool bound() const { return bound_; }
  Server& server() { return server_; }

 protected:
  void on_stream_open(const xml::StreamHeader& header) override;
  void handle_stanza(xml::Element& stanza, std::string_view raw) override;
  void handle_close() override;
  void on_disconnect() override;
  void on_service_stop() override;

 private:
  void send_features();
  void on_auth(xml::Element& auth);
  void on_sasl_response(xml::Element& response);
  void sasl_step(SaslStep step);
  // Counts a failed password check in the throttles (abuse_limits.h); returns how
  // long its answer waits.
  AttemptThrottle::Duration count_failure(const SaslStep& step);
  void answer_failure(const std::string& failure);
  void on_bind(xml::Element& iq);
  bool is_registration(const xml::Element& iq) const;
  void on_register(xml::Element& iq);  // XEP-0077, registration.cpp
  void on_session_stanza(xml::Element& stanza, std::string_view raw);
  void on_sm(xml::Element& el);
  void sm_resume(xml::Element& el);
  void sm_ack(uint32_t h);
  void end_session();  // unregister, broadcast unavailable

  static constexpr size_t kMaxUnacked = 10000;      // XEP-0198 queue; past it the stream ends
  static constexpr unsigned kResumeSeconds = 300;   // how long a dropped session waits to be resumed

  enum class State { header, features, bound } state_ = State::header;
  std::unique_ptr<SaslExchange> sasl_;
  int sasl_failures_ = 0;
  std::unique_ptr<asio::steady_timer> sasl_timer_;  // a throttled failure's answer
  std::string user_;  // authenticated localpart
  Jid jid_;
  bool bound_ = false;
  bool initial_presence_sent_ = false;
  uint64_t offline_delivered_ = 0;
  // Atomic: a newer bind of the same full JID sets it from that connection's thread.
  std::atomic<bool> ended_{false};
  std::set<std::string> directed_;  // full JIDs given directed presence

  mutable std::mutex state_mu_;  // guards the fields below
  bool available_ = false;
  int priority_ = 0;
  std::string presence_;
  // XEP-0198
  bool sm_enabled_ = false, sm_resumable_ = false, detached_ = false, taken_over_ = false;
  std::string sm_id_;
  uint32_t sm_in_ = 0;        // stanzas handled from the client (this thread)
  uint32_t sm_out_acked_ = 0; // h the client last acknowledged
  std::string sm_queue_;      // unacknowledged stanzas, back to back
  std::deque<uint32_t> sm_sizes_;
  std::unique_ptr<asio::steady_timer> resume_timer_;

  friend void take_over(ClientStream& from, ClientStream& to);
};

// ---- feature modules ----
// presence.cpp: RFC 6121 §3 and §4.
void handle_presence(ClientStream& session, xml::Element& presence, std::string_view raw);
// Presence/subscription stanzas arriving for a local user from elsewhere (another
// local user or a component): the inbound half of §3.
void handle_inbound_subscription(Server& server, const Jid& from, const Jid& to, std::string_view type,
                                 const xml::Element& stanza, std::string_view raw);
void broadcast_unavailable(ClientStream& session);
// offline.cpp
void store_offline(Server& server, const Jid& to, const xml::Element& stanza, std::string_view raw,
                   std::string_view from);
void deliver_offline(ClientStream& session);
// From the store's offline listener (XmppStore::on_offline_stored, any thread that
// does not hold the session registry's lock): tells this node's sessions of `user`.
void offline_stored(Server& server, const std::string& user);
// roster.cpp: RFC 6121 §2.
void handle_roster_iq(ClientStream& session, xml::Element& iq);
void push_roster_item(Server& server, std::string_view user_bare, const RosterItem& item, bool removed);
// iq_handlers.cpp: IQs addressed to the server or to an account (disco, ping, ...).
void handle_server_iq(ClientStream& session, xml::Element& iq, const Jid& to);
// Answers an IQ to the server from a component (or anyone not a local session).
void handle_server_iq_remote(Server& server, const Jid& from, const Jid& to, xml::Element& iq);

}  // namespace convene::xmpp
