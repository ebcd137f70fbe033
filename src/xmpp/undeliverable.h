#pragma once
// Stanzas the server accepted (and, with XEP-0198, acknowledged) but could not
// hand on: a forward to another node that was never confirmed, a call bridge name
// nobody took over in time, an offline message the store refused. RFC 6120 §10.4.3
// and §8.3: the sender gets an error back, so nothing vanishes silently; except
// errors (never answered, §8.3.1), presence (undeliverable presence is dropped,
// RFC 6121 §8.5.2) and iq results.
//
// They are kept as bytes (already addressed, as they were forwarded), so both
// functions parse them again. Threads: any, without the registry's lock held (both
// route, which takes it).
#include <string_view>

#include "xmpp_core/stanza_error.h"

namespace convene::xmpp {

class Server;

// Whether a stanza of this element name and type gets an error back when it
// cannot be delivered.
bool bounces_when_undeliverable(std::string_view name, std::string_view type);

// Routes the stanza in `bytes` back to its sender as a stanza error (when
// bounces_when_undeliverable), and logs what was given up and why.
void bounce_undeliverable(Server& server, std::string_view bytes, StanzaError error, std::string_view why);

// Routes the stanza in `bytes` again from the start, by its from/to (its target
// moved or ended while it travelled).
void route_again(Server& server, std::string_view bytes);

// A stanza delivered to a session that ended before its client acknowledged it
// (XEP-0198): handled as if it had never been delivered (XEP-0198 §5 leaves it to
// the server; RFC 6121 §8.5.3.2.1 says where it goes now that the full JID is
// gone): a chat or normal message goes to another resource of the user or to
// offline storage, an iq request gets an error back. Presence, groupchat (the
// room saw the occupant go) and errors are dropped.
void route_unacknowledged(Server& server, std::string_view bytes);

}  // namespace convene::xmpp
