#pragma once
// The delivery rules of RFC 6121 §8.5 for stanzas addressed to a local user, as a
// pure function of what the registry holds: which of the user's sessions get the
// stanza, or what else happens (offline storage, an error, the server answers,
// silently dropped). Kept free of I/O so the rules are unit-tested on their own.
#include <cstdint>
#include <span>
#include <string_view>

namespace convene::xmpp {

enum class StanzaKind { message, presence, iq, other };
StanzaKind stanza_kind(std::string_view element_name);

struct SessionView {
  int priority = 0;
  bool available = false;  // sent available presence and not unavailable since
  bool resource_match = false;  // this session's resource is the 'to' resource
};

struct RouteDecision {
  enum class Action { deliver, offline, error, drop, server };
  Action action = Action::drop;
  uint64_t targets = 0;  // bit i: deliver to sessions[i] (at most 64 sessions per user)
  std::string_view error_condition;  // for Action::error
};

// `to_full`: the 'to' had a resource. `user_exists`: the account exists.
// `type` is the stanza's type attribute ("" when absent).
RouteDecision decide_route(StanzaKind kind, std::string_view type, bool to_full, bool user_exists,
                           std::span<const SessionView> sessions);

// Presence types the server handles itself (subscriptions §3, probes §4.3).
bool is_subscription_type(std::string_view type);

}  // namespace convene::xmpp
