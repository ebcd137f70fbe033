// The router: where a stanza goes once its sender is known (RFC 6120 §10,
// RFC 6121 §8). Holds no feature code: stanzas for the server itself and
// subscription presence are handed to their modules.

#include <ctime>

#include "util/random.h"
#include "xml/serializer.h"
#include "xmpp/c2s.h"
#include "xmpp/cluster_router.h"
#include "xmpp/component_wait.h"
#include "xmpp/routing_rules.h"
#include "xmpp/server.h"
#include "xmpp/undeliverable.h"

namespace convene::xmpp {

bool Server::admit(Connection* c, std::weak_ptr<Connection> w, const std::string& ip) {
  std::lock_guard lock(conn_mu);
  auto& n = per_address[ip];
  if (n >= settings.limits.max_connections_per_address) {
    if (n == 0) per_address.erase(ip);
    return false;
  }
  ++n;
  connections[c] = std::move(w);
  return true;
}

void Server::forget(Connection* c, const std::string& ip) {
  std::lock_guard lock(conn_mu);
  connections.erase(c);
  auto it = per_address.find(ip);
  if (it != per_address.end() && --it->second == 0) per_address.erase(it);
}

bool Server::is_component_domain(std::string_view domain) const {
  const auto& d = settings.domain;
  return domain.size() > d.size() + 1 && domain.ends_with(d) && domain[domain.size() - d.size() - 1] == '.';
}

std::string xmpp_timestamp(int64_t seconds) {
  std::time_t t = static_cast<std::time_t>(seconds);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

void write_stanza(const xml::Element& stanza, std::string_view raw, std::string_view from, std::string_view to,
                  std::string& out) {
  if (!raw.empty()) {
    xml::write_readdressed(raw, from, to.empty() ? std::optional<std::string_view>() : to, out);
    return;
  }
  // Raw bytes withheld (unusual prefixes): serialize a readdressed copy.
  xml::Document doc;
  auto& copy = doc.clone(stanza);
  copy.set_attr("from", from);
  if (!to.empty()) copy.set_attr("to", to);
  xml::serialize(copy, out, {stanza.ns(), true});
}

std::vector<std::shared_ptr<Session>> sessions_of(Server& server, std::string_view bare) {
  return server.registry.sessions_of(bare);
}

bool send_to_component(Server& server, std::string_view domain, std::string_view bytes) {
  if (server.registry.send_to_component(domain, bytes)) return true;
  auto cluster = server.cluster();  // connected to another node of the cluster?
  return cluster && cluster->to_remote_component(domain, bytes);
}

void bounce(Server& server, const Jid& from, const Jid& to, const xml::Element& stanza, StanzaError error) {
  if (stanza.attr("type") == "error") return;
  if (!from.valid()) return;
  xml::Document doc;
  auto& e = doc.create_element(stanza.name(), kClientNs);
  for (auto* a = stanza.attrs_begin(); a != stanza.attrs_end(); ++a) e.set_attr(*a);
  e.set_attr("type", "error");
  e.set_attr("from", to.full());
  e.set_attr("to", from.full());
  auto& err = e.add_child("error");
  err.set_attr("type", error.type);
  err.add_child(error.condition, kStanzasNs);
  route(server, to, from, e, {});
}

namespace {

// Thread-local output buffer for readdressed stanzas: steady state allocates nothing.
std::string& scratch() {
  thread_local std::string s;
  s.clear();
  return s;
}

// The call bridge name of a component domain ("cb1" of "cb1.example.com").
std::string_view bridge_name(const Server& server, std::string_view domain) {
  return domain.substr(0, domain.size() - server.settings.domain.size() - 1);
}

void to_component(Server& server, const Jid& from, const Jid& to, xml::Element& stanza, std::string_view raw) {
  auto& out = scratch();
  write_stanza(stanza, raw, from.full(), to.full(), out);
  const auto domain = to.domain();
  // Behind stanzas already waiting for this name, to keep the order.
  auto& wait = *server.component_wait;
  if (!wait.waiting(domain) && send_to_component(server, domain, out)) return;
  // A known call bridge between two holders (a takeover, a restart): wait for the next.
  if (server.store.callbridge(bridge_name(server, domain)) && wait.hold(domain, out)) return;
  if (stanza.name() == "presence") return;
  bounce(server, from, to, stanza, kServiceUnavailable);
}

void to_local_user(Server& server, const Jid& from, const Jid& to, xml::Element& stanza, std::string_view raw) {
  const auto kind = stanza_kind(stanza.name());
  const auto type = stanza.attr("type");
  RouteDecision decision;
  bool delivered = false;
  const bool online = server.registry.with_sessions(to.bare_view(), [&](std::span<const std::shared_ptr<Session>> list) {
    // A user with a session exists: no account look-up (it was 4.7% of the
    // server's time when routing chat, perf).
    SessionView views[64];
    size_t n = 0;
    for (auto& s : list) {
      if (n == 64) break;
      auto& v = views[n++];
      std::lock_guard sl(s->state_mutex());
      v.available = s->available_unlocked();
      v.priority = s->priority_unlocked();
      v.resource_match = to.has_resource() && s->jid() == to;
    }
    decision = decide_route(kind, type, to.has_resource(), true, std::span(views, n));
    if (decision.action != RouteDecision::Action::deliver) return;
    // Delivered under the registry's shared lock: deliver() only queues (session_registry.h).
    for (size_t i = 0; i < n; ++i) {
      if (!(decision.targets & (uint64_t{1} << i))) continue;
      auto& out = scratch();
      write_stanza(stanza, raw, from.full(), list[i]->jid().full(), out);
      list[i]->deliver(out);
    }
    delivered = true;
  });
  if (delivered) return;
  // In a cluster, the user's session may be on a member gone silent a moment ago
  // (a partition, a stopped process): it is awaited there, or wherever the user
  // comes back, rather than stored offline while the user may well be online
  // (cluster_router.h, "Absent sessions"). Once that wait is over and the member
  // is still silent, the sender gets an error: offline storage would hide the
  // message from a user who never went offline.
  // Presence and errors for that full JID are awaited there too: a space's word
  // that it removed the occupant (the cluster had announced it gone), the error for
  // a group message it sent meanwhile; without them its client, back, would go on
  // talking to a space it is no longer in, unanswered.
  const bool bounces = bounces_when_undeliverable(stanza.name(), type);
  if (!online && (bounces || to.has_resource()))
    if (auto cluster = server.cluster())
      if (auto absent = cluster->absent_session(to, kind == StanzaKind::message && bounces)) {
        if (absent->awaited) {
          auto& out = scratch();
          write_stanza(stanza, raw, from.full(), absent->jid, out);
          cluster->relay(absent->member, absent->jid, out);
          return;
        }
        if (bounces) return bounce(server, from, to, stanza, kRecipientUnavailable);
      }
  // Without a session the store says whether the account exists (outside the registry's lock,
  // where this look-up has always been).
  if (!online) decision = decide_route(kind, type, to.has_resource(), server.store.user_exists(to.local()), {});
  switch (decision.action) {
    case RouteDecision::Action::deliver:
    case RouteDecision::Action::drop:
      return;
    case RouteDecision::Action::error:
      return bounce(server, from, to, stanza, {"cancel", decision.error_condition});
    case RouteDecision::Action::offline:
      if (kind == StanzaKind::message && (type.empty() || type == "chat" || type == "normal"))
        store_offline(server, to.bare(), stanza, raw, from.full());
      return;
    case RouteDecision::Action::server:
      if (kind == StanzaKind::presence) return handle_inbound_subscription(server, from, to, type, stanza, raw);
      if (kind == StanzaKind::iq) return handle_server_iq_remote(server, from, to, stanza);
      return;
  }
}

}  // namespace

void route(Server& server, const Jid& from, const Jid& to, xml::Element& stanza, std::string_view raw) {
  if (stanza.name() == "message") ++server.routed.message;
  else if (stanza.name() == "presence") ++server.routed.presence;
  else ++server.routed.iq;
  const auto domain = to.domain();
  if (domain == server.settings.domain) {
    if (to.has_local()) return to_local_user(server, from, to, stanza, raw);
    if (stanza.name() == "iq") return handle_server_iq_remote(server, from, to, stanza);
    return;  // messages and presence to the server itself: nothing to do
  }
  if (server.is_component_domain(domain)) return to_component(server, from, to, stanza, raw);
  if (stanza.name() == "presence") return;
  bounce(server, from, to, stanza, kRemoteServerNotFound);
}

}  // namespace convene::xmpp
