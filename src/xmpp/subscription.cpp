#include "xmpp/subscription.h"

#include "xmpp/store_commands.h"

namespace convene::xmpp {

Subscription subscription_from_name(std::string_view s) {
  return parse_subscription(s).value_or(Subscription::none);
}

bool has_to(Subscription s) { return s == Subscription::to || s == Subscription::both; }
bool has_from(Subscription s) { return s == Subscription::from || s == Subscription::both; }

bool outbound_subscribe(RosterItem& item) {
  if (has_to(item.subscription)) return true;  // re-sent; still route (§3.1.2)
  item.ask_subscribe = true;
  return true;
}

Inbound inbound_subscribe(RosterItem& item) {
  if (has_from(item.subscription)) return Inbound::auto_subscribed;
  item.pending_in = true;
  return Inbound::deliver;
}

bool outbound_subscribed(RosterItem& item) {
  if (!item.pending_in) return false;  // no pending request: nothing to approve
  item.pending_in = false;
  if (item.subscription == Subscription::none) item.subscription = Subscription::from;
  else if (item.subscription == Subscription::to) item.subscription = Subscription::both;
  return true;
}

Inbound inbound_subscribed(RosterItem& item) {
  if (!item.ask_subscribe) return Inbound::ignore;
  item.ask_subscribe = false;
  if (item.subscription == Subscription::none) item.subscription = Subscription::to;
  else if (item.subscription == Subscription::from) item.subscription = Subscription::both;
  return Inbound::deliver;
}

bool outbound_unsubscribe(RosterItem& item) {
  bool changed = item.ask_subscribe || has_to(item.subscription);
  item.ask_subscribe = false;
  if (item.subscription == Subscription::to) item.subscription = Subscription::none;
  else if (item.subscription == Subscription::both) item.subscription = Subscription::from;
  return changed;
}

Inbound inbound_unsubscribe(RosterItem& item) {
  bool changed = item.pending_in || has_from(item.subscription);
  item.pending_in = false;
  if (item.subscription == Subscription::from) item.subscription = Subscription::none;
  else if (item.subscription == Subscription::both) item.subscription = Subscription::to;
  return changed ? Inbound::deliver : Inbound::ignore;
}

bool outbound_unsubscribed(RosterItem& item) {
  bool changed = item.pending_in || has_from(item.subscription);
  item.pending_in = false;
  if (item.subscription == Subscription::from) item.subscription = Subscription::none;
  else if (item.subscription == Subscription::both) item.subscription = Subscription::to;
  return changed;
}

Inbound inbound_unsubscribed(RosterItem& item) {
  bool changed = item.ask_subscribe || has_to(item.subscription);
  item.ask_subscribe = false;
  if (item.subscription == Subscription::to) item.subscription = Subscription::none;
  else if (item.subscription == Subscription::both) item.subscription = Subscription::from;
  return changed ? Inbound::deliver : Inbound::ignore;
}

nlohmann::json roster_set_command(std::string_view user, const RosterItem& item) {
  return cmd::roster_set(user, item);
}

void append_roster_item(xml::Element& query, const RosterItem& item) {
  auto& el = query.add_child("item");
  el.set_attr("jid", item.jid);
  if (!item.name.empty()) el.set_attr("name", item.name);
  el.set_attr("subscription", subscription_name(item.subscription));
  if (item.ask_subscribe) el.set_attr("ask", "subscribe");
  for (const auto& g : item.groups) el.add_child("group").add_text(g);
}

bool visible_in_roster(const RosterItem& item) {
  return !(item.subscription == Subscription::none && !item.ask_subscribe && item.pending_in &&
           item.name.empty() && item.groups.empty());
}

}  // namespace convene::xmpp
