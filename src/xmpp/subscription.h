#pragma once
// Presence subscription state (RFC 6121 §3, Appendix A) as pure transitions on a
// roster item, plus the roster item's store-command and XML forms.
//
// "Outbound" transitions apply to the sender's item for the contact, "inbound"
// ones to the receiver's item for the sender. Each returns whether the stanza is
// to be delivered/acted on (false: ignore it silently, as Appendix A says).
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "xml/element.h"
#include "xmpp/store.h"
#include "xmpp/xmpp_state.h"

namespace convene::xmpp {

// subscription_name() and parse_subscription() come from xmpp_state.h.
Subscription subscription_from_name(std::string_view s);

bool has_to(Subscription s);    // to or both: we see the contact's presence
bool has_from(Subscription s);  // from or both: the contact sees ours

enum class Inbound { deliver, ignore, auto_subscribed };

// The user sends <presence type='subscribe'/> to the contact.
bool outbound_subscribe(RosterItem& item);
// The contact's server receives it. auto_subscribed: the contact already granted
// it (from/both): answer 'subscribed' without asking.
Inbound inbound_subscribe(RosterItem& item);
// The contact approves (<presence type='subscribed'/>).
bool outbound_subscribed(RosterItem& item);
Inbound inbound_subscribed(RosterItem& item);
// The user cancels its subscription to the contact.
bool outbound_unsubscribe(RosterItem& item);
Inbound inbound_unsubscribe(RosterItem& item);
// The contact cancels (or refuses) the user's subscription to it.
bool outbound_unsubscribed(RosterItem& item);
Inbound inbound_unsubscribed(RosterItem& item);

// {"op":"roster.set","user":..,"item":{...}}
nlohmann::json roster_set_command(std::string_view user, const RosterItem& item);
// <item jid name subscription ask><group/>...</item> appended to `query`.
void append_roster_item(xml::Element& query, const RosterItem& item);
// Whether a roster get shows the item: a bare pending inbound request is kept by
// the server (RFC 6121 §3.1.3) but is not part of the user's roster.
bool visible_in_roster(const RosterItem& item);

}  // namespace convene::xmpp
