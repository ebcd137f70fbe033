#pragma once
// Stanza errors (RFC 6120 §8.3) as values: the server bounces with them and the
// call bridge answers with them, so both name the same conditions the same way.
#include <string_view>

namespace convene::xmpp {

// A stanza error as a value: type and defined condition.
struct StanzaError {
  std::string_view type;       // "cancel", "modify", "auth", "wait"
  std::string_view condition;  // "service-unavailable", ...
};
inline constexpr StanzaError kServiceUnavailable{"cancel", "service-unavailable"};
inline constexpr StanzaError kFeatureNotImplemented{"cancel", "feature-not-implemented"};
inline constexpr StanzaError kBadRequest{"modify", "bad-request"};
inline constexpr StanzaError kForbidden{"auth", "forbidden"};
inline constexpr StanzaError kNotAllowed{"cancel", "not-allowed"};
inline constexpr StanzaError kRemoteServerNotFound{"cancel", "remote-server-not-found"};
inline constexpr StanzaError kItemNotFound{"cancel", "item-not-found"};
inline constexpr StanzaError kConflict{"cancel", "conflict"};
inline constexpr StanzaError kInternalServerError{"wait", "internal-server-error"};
// For stanzas the server accepted but could not hand on in time (the cluster's
// undeliverable paths): "wait" tells the sender that trying again later may work.
inline constexpr StanzaError kRecipientUnavailable{"wait", "recipient-unavailable"};
inline constexpr StanzaError kRemoteServerTimeout{"wait", "remote-server-timeout"};
inline constexpr StanzaError kServiceUnavailableWait{"wait", "service-unavailable"};

}  // namespace convene::xmpp
