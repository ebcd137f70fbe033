#include "xmpp/routing_rules.h"

#include <climits>

namespace convene::xmpp {

StanzaKind stanza_kind(std::string_view name) {
  if (name == "message") return StanzaKind::message;
  if (name == "presence") return StanzaKind::presence;
  if (name == "iq") return StanzaKind::iq;
  return StanzaKind::other;
}

bool is_subscription_type(std::string_view t) {
  return t == "subscribe" || t == "subscribed" || t == "unsubscribe" || t == "unsubscribed";
}

namespace {

using Action = RouteDecision::Action;

RouteDecision error(std::string_view condition) {
  RouteDecision d;
  d.action = Action::error;
  d.error_condition = condition;
  return d;
}
RouteDecision simple(Action a) {
  RouteDecision d;
  d.action = a;
  return d;
}

// §8.5.2: to the bare JID of an existing account.
RouteDecision to_bare(StanzaKind kind, std::string_view type, std::span<const SessionView> s) {
  const size_t n = s.size() < 64 ? s.size() : 64;
  switch (kind) {
    case StanzaKind::message: {
      if (type == "error") return simple(Action::drop);
      if (type == "groupchat") return error("service-unavailable");
      if (type == "headline") {
        RouteDecision d = simple(Action::deliver);
        for (size_t i = 0; i < n; ++i)
          if (s[i].available && s[i].priority >= 0) d.targets |= uint64_t{1} << i;
        if (!d.targets) d.action = Action::drop;
        return d;
      }
      // normal (or absent) and chat: the available sessions of highest non-negative
      // priority (all of them when tied); none → offline storage.
      int best = INT_MIN;
      for (size_t i = 0; i < n; ++i)
        if (s[i].available && s[i].priority >= 0 && s[i].priority > best) best = s[i].priority;
      if (best == INT_MIN) return simple(Action::offline);
      RouteDecision d = simple(Action::deliver);
      for (size_t i = 0; i < n; ++i)
        if (s[i].available && s[i].priority == best) d.targets |= uint64_t{1} << i;
      return d;
    }
    case StanzaKind::presence: {
      if (is_subscription_type(type) || type == "probe") return simple(Action::server);
      if (!type.empty() && type != "unavailable" && type != "error") return error("bad-request");
      RouteDecision d = simple(Action::deliver);
      for (size_t i = 0; i < n; ++i)
        if (s[i].available) d.targets |= uint64_t{1} << i;
      if (!d.targets) d.action = Action::drop;
      return d;
    }
    case StanzaKind::iq:
      return simple(Action::server);  // the server answers on behalf of the account
    case StanzaKind::other:
      break;
  }
  return simple(Action::drop);
}

}  // namespace

RouteDecision decide_route(StanzaKind kind, std::string_view type, bool to_full, bool user_exists,
                           std::span<const SessionView> s) {
  if (!user_exists) {
    // §8.5.1: no such account.
    if (type == "error") return simple(Action::drop);
    if (kind == StanzaKind::presence) return simple(Action::drop);
    if (kind == StanzaKind::iq && (type == "result")) return simple(Action::drop);
    return error("service-unavailable");
  }
  if (!to_full) return to_bare(kind, type, s);

  // §8.5.3: to a full JID.
  const size_t n = s.size() < 64 ? s.size() : 64;
  int match = -1;
  for (size_t i = 0; i < n; ++i)
    if (s[i].resource_match) match = static_cast<int>(i);
  if (kind == StanzaKind::presence && (is_subscription_type(type) || type == "probe"))
    return simple(Action::server);
  if (match >= 0) {
    RouteDecision d = simple(Action::deliver);
    d.targets = uint64_t{1} << match;
    return d;
  }
  switch (kind) {
    case StanzaKind::message:
      if (type == "error") return simple(Action::drop);
      if (type == "groupchat") return error("service-unavailable");
      return to_bare(kind, type, s);  // normal, chat, headline: as if to the bare JID
    case StanzaKind::presence:
      return simple(Action::drop);
    case StanzaKind::iq:
      if (type == "result" || type == "error") return simple(Action::drop);
      return error("service-unavailable");
    case StanzaKind::other:
      break;
  }
  return simple(Action::drop);
}

}  // namespace convene::xmpp
