// Presence (RFC 6121 §4) and subscriptions (§3): broadcast to contacts with a
// 'from' subscription, probes at initial presence, directed presence, and both
// halves of every subscription change (the sender's item, then the receiver's).
#include <charconv>

#include "xml/serializer.h"
#include "xmpp/c2s.h"
#include "xmpp/routing_rules.h"
#include "xmpp/subscription.h"

namespace convene::xmpp {

namespace {

bool same_item(const RosterItem& a, const RosterItem& b) {
  return a.jid == b.jid && a.name == b.name && a.subscription == b.subscription &&
         a.ask_subscribe == b.ask_subscribe && a.pending_in == b.pending_in && a.groups == b.groups;
}

std::string simple_presence(std::string_view type, std::string_view from, std::string_view to) {
  std::string s = "<presence";
  if (!type.empty()) {
    s += " type='";
    s += type;
    s += "'";
  }
  s += " from='";
  xml::escape_attr(from, s);
  s += "' to='";
  xml::escape_attr(to, s);
  s += "'/>";
  return s;
}

// Presence bytes (as a user sent them) from `from` to every available session of
// the local bare JID `to`, or to the component serving `to`.
void deliver_presence_bytes(Server& server, const Jid& from, const Jid& to, std::string_view bytes) {
  std::string out;
  if (server.is_component_domain(to.domain())) {
    xml::write_readdressed(bytes, from.full(), to.full(), out);
    send_to_component(server, to.domain(), out);
    return;
  }
  if (to.domain() != server.settings.domain) return;
  for (auto& s : sessions_of(server, to.bare_view())) {
    if (!s->available()) continue;
    out.clear();
    xml::write_readdressed(bytes, from.full(), s->jid().full(), out);
    s->deliver(out);
  }
}

// Every available session of `user_bare` sends its presence (or unavailable) to `to`.
void presence_of_user_to(Server& server, std::string_view user_bare, const Jid& to, bool unavailable) {
  for (auto& s : sessions_of(server, user_bare)) {
    if (!s->available()) continue;
    if (unavailable) {
      deliver_presence_bytes(server, s->jid(), to, "<presence type='unavailable'/>");
    } else {
      deliver_presence_bytes(server, s->jid(), to, s->presence());
    }
  }
}

int parse_priority(const xml::Element& presence) {
  auto* p = presence.find_child("priority");
  if (!p) return 0;
  auto text = p->text();
  int value = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || ptr != text.data() + text.size()) return 0;
  return std::clamp(value, -128, 127);
}

// Presence from `me` to its contacts with a 'from' subscription, its own other
// resources and (if given) the JIDs it sent directed presence to.
void broadcast_from(Server& server, const Jid& me, xml::Element& presence, std::string_view raw,
                    const std::set<std::string>* directed) {
  for (const auto& item : server.store.roster(me.local())) {
    if (!has_from(item.subscription)) continue;
    auto contact = Jid::parse(item.jid);
    if (contact) route(server, me, *contact, presence, raw);
  }
  route(server, me, me.bare(), presence, raw);  // the user's own available resources
  if (directed) {
    for (const auto& d : *directed) {
      auto j = Jid::parse(d);
      if (j) route(server, me, *j, presence, raw);
    }
  }
}

void broadcast(ClientStream& s, xml::Element& presence, std::string_view raw, bool include_directed) {
  broadcast_from(s.server(), s.jid(), presence, raw, include_directed ? &s.directed() : nullptr);
}

void initial_presence_extras(ClientStream& s) {
  auto& server = s.server();
  const Jid& me = s.jid();
  // Probes (§4.3): the current presence of contacts we are subscribed to.
  for (const auto& item : server.store.roster(me.local())) {
    auto contact = Jid::parse(item.jid);
    if (!contact) continue;
    if (has_to(item.subscription) && contact->domain() == server.settings.domain) {
      for (auto& c : sessions_of(server, contact->bare_view())) {
        if (!c->available()) continue;
        std::string out;
        xml::write_readdressed(c->presence(), c->jid().full(), me.full(), out);
        s.deliver(out);
      }
    }
    // Subscription requests that waited for the user to come online (§3.1.3).
    if (item.pending_in) s.deliver(simple_presence("subscribe", item.jid, me.bare_view()));
  }
  // The user's other resources.
  for (auto& other : sessions_of(server, me.bare_view())) {
    if (other.get() == &s || !other->available()) continue;
    std::string out;
    xml::write_readdressed(other->presence(), other->jid().full(), me.full(), out);
    s.deliver(out);
  }
}

// The outbound half of a subscription stanza from a local user (§3).
void outbound_subscription(ClientStream& s, const Jid& to, std::string_view type) {
  auto& server = s.server();
  const Jid user = s.jid().bare();
  const Jid contact = to.bare();
  if (contact == user) return;
  auto existing = server.store.roster_item(user.local(), contact.full());
  RosterItem item = existing ? *existing : RosterItem{contact.full(), {}, Subscription::none, false, false, {}};
  const RosterItem before = item;
  bool go = true;
  if (type == "subscribe") go = outbound_subscribe(item);
  else if (type == "subscribed") go = outbound_subscribed(item);
  else if (type == "unsubscribe") outbound_unsubscribe(item);
  else if (type == "unsubscribed") outbound_unsubscribed(item);
  // A refusal of an unknown request creates nothing.
  const bool changed = !same_item(item, before) || (!existing && type == "subscribe");
  std::vector<StoreCommand> cmds;
  if (changed) cmds.push_back(roster_set_command(user.local(), item));
  std::string t(type);
  auto* server_ptr = &server;
  s.write_store(std::move(cmds), [server_ptr, user, contact, item, changed, go, t] {
    auto& server = *server_ptr;
    if (changed) push_roster_item(server, user.full(), item, false);
    if (!go) return;
    // For a local contact, the receiving half sends these once its roster push and
    // the subscription stanza are out, so they arrive in that order.
    const bool local = contact.domain() == server.settings.domain;
    if (!local && t == "subscribed") presence_of_user_to(server, user.bare_view(), contact, false);
    if (!local && t == "unsubscribed") presence_of_user_to(server, user.bare_view(), contact, true);
    xml::Document doc;
    auto& p = doc.create_element("presence", kClientNs);
    p.set_attr("type", t);
    p.set_attr("from", user.full());
    p.set_attr("to", contact.full());
    route(server, user, contact, p, {});
  });
}

}  // namespace

void handle_presence(ClientStream& s, xml::Element& presence, std::string_view raw) {
  auto& server = s.server();
  const auto type = presence.attr("type");
  if (auto t = presence.attr("to"); !t.empty()) {
    auto to = Jid::parse(t);
    if (!to) return;
    if (is_subscription_type(type)) return outbound_subscription(s, *to, type);
    if (type == "probe") return;
    if (type.empty()) s.directed().insert(to->full());
    else if (type == "unavailable") s.directed().erase(to->full());
    return route(server, s.jid(), *to, presence, raw);
  }
  if (type.empty()) {
    const bool initial = !s.available();
    const int priority = parse_priority(presence);
    std::string bytes;
    if (!raw.empty()) bytes.assign(raw);
    else xml::serialize(presence, bytes, {kClientNs, true});
    s.set_presence(true, priority, std::move(bytes));
    broadcast(s, presence, raw, false);
    if (initial) {
      initial_presence_extras(s);
      s.mark_initial_presence();
    }
    if (initial && priority >= 0) deliver_offline(s);
    return;
  }
  if (type == "unavailable") {
    s.set_presence(false, 0, {});
    broadcast(s, presence, raw, true);
    s.directed().clear();
    return;
  }
  // subscription types without 'to', probes, errors: nothing to do
}

void broadcast_unavailable(ClientStream& s) {
  s.set_presence(false, 0, {});
  xml::Document doc;
  auto& p = doc.create_element("presence", kClientNs);
  p.set_attr("type", "unavailable");
  broadcast(s, p, "<presence type='unavailable'/>", true);
}

void announce_unavailable(Server& server, const Jid& full) {
  xml::Document doc;
  auto& p = doc.create_element("presence", kClientNs);
  p.set_attr("type", "unavailable");
  broadcast_from(server, full, p, "<presence type='unavailable'/>", nullptr);
}

void handle_inbound_subscription(Server& server, const Jid& from, const Jid& to, std::string_view type,
                                 const xml::Element& stanza, std::string_view raw) {
  const Jid user = to.bare();
  const Jid contact = from.bare();
  if (type == "probe") {
    auto item = server.store.roster_item(user.local(), contact.full());
    if (item && has_from(item->subscription)) presence_of_user_to(server, user.bare_view(), from, false);
    return;
  }
  if (!server.store.user_exists(user.local())) return;
  auto existing = server.store.roster_item(user.local(), contact.full());
  RosterItem item = existing ? *existing : RosterItem{contact.full(), {}, Subscription::none, false, false, {}};
  const RosterItem before = item;
  Inbound r = Inbound::ignore;
  if (type == "subscribe") r = inbound_subscribe(item);
  else if (type == "subscribed") r = inbound_subscribed(item);
  else if (type == "unsubscribe") r = inbound_unsubscribe(item);
  else if (type == "unsubscribed") r = inbound_unsubscribed(item);
  if (r == Inbound::auto_subscribed) {
    // Already approved: answer for the user (§3.1.3), with its presence.
    xml::Document doc;
    auto& p = doc.create_element("presence", kClientNs);
    p.set_attr("type", "subscribed");
    p.set_attr("from", user.full());
    p.set_attr("to", contact.full());
    route(server, user, contact, p, {});
    presence_of_user_to(server, user.bare_view(), contact, false);
    return;
  }
  if (r == Inbound::ignore) return;
  const bool changed = !same_item(item, before);
  std::string t(type);
  auto deliver = [&server, user, contact, item, changed, t] {
    if (changed) push_roster_item(server, user.full(), item, false);
    for (auto& s : sessions_of(server, user.bare_view())) {
      if (!s->available()) continue;
      s->deliver(simple_presence(t, contact.full(), s->jid().full()));
    }
    if (t == "unsubscribe") presence_of_user_to(server, user.bare_view(), contact, true);
    // The approver's (or canceller's) presence follows the stanza (§3.1.5, §3.2.2).
    if (t == "subscribed") presence_of_user_to(server, contact.bare_view(), user, false);
    if (t == "unsubscribed") presence_of_user_to(server, contact.bare_view(), user, true);
  };
  if (!changed) return deliver();
  server.store.submit(roster_set_command(user.local(), item), [deliver, &server](Status st) {
    if (!st) server.log->warn("store write roster.set failed: {}", st.error().message);
    deliver();
  });
}

}  // namespace convene::xmpp
