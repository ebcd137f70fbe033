#pragma once
// XML namespaces of the XMPP protocols Convene speaks, in one place, so the server,
// the call bridge and convene-bench cannot drift apart on a spelling.
//
// The streams namespace is also xml::kStreamsNs (xml/serializer.h): the stream
// parser and serializer sit below this library and need it for the 'stream:'
// prefix; namespaces_test.cpp checks that the two agree.
#include <string_view>

namespace convene::xmpp {

// The stream itself (RFC 6120 §4.8.1).
inline constexpr std::string_view kStreamsNs = "http://etherx.jabber.org/streams";

// Stream content (RFC 6120 §4.8.2, XEP-0114).
inline constexpr std::string_view kClientNs = "jabber:client";
inline constexpr std::string_view kServerNs = "jabber:server";
inline constexpr std::string_view kComponentNs = "jabber:component:accept";

// Errors (RFC 6120 §4.9.3, §8.3.3).
inline constexpr std::string_view kStreamErrorsNs = "urn:ietf:params:xml:ns:xmpp-streams";
inline constexpr std::string_view kStanzasNs = "urn:ietf:params:xml:ns:xmpp-stanzas";

// Stream negotiation (RFC 6120 §5-§7, RFC 3921 §3, XEP-0077 feature).
inline constexpr std::string_view kTlsNs = "urn:ietf:params:xml:ns:xmpp-tls";
inline constexpr std::string_view kSaslNs = "urn:ietf:params:xml:ns:xmpp-sasl";
inline constexpr std::string_view kBindNs = "urn:ietf:params:xml:ns:xmpp-bind";
inline constexpr std::string_view kSessionNs = "urn:ietf:params:xml:ns:xmpp-session";
inline constexpr std::string_view kRegisterFeatureNs = "http://jabber.org/features/iq-register";

// Extensions.
inline constexpr std::string_view kSmNs = "urn:xmpp:sm:3";                                   // XEP-0198
inline constexpr std::string_view kRosterNs = "jabber:iq:roster";                            // RFC 6121
inline constexpr std::string_view kRegisterNs = "jabber:iq:register";                        // XEP-0077
inline constexpr std::string_view kDiscoInfoNs = "http://jabber.org/protocol/disco#info";    // XEP-0030
inline constexpr std::string_view kDiscoItemsNs = "http://jabber.org/protocol/disco#items";  // XEP-0030
inline constexpr std::string_view kPingNs = "urn:xmpp:ping";                                 // XEP-0199
inline constexpr std::string_view kDelayNs = "urn:xmpp:delay";                               // XEP-0203
inline constexpr std::string_view kMucNs = "http://jabber.org/protocol/muc";                 // XEP-0045
inline constexpr std::string_view kMucUserNs = "http://jabber.org/protocol/muc#user";        // XEP-0045
// Convene's own: a call bridge records its space occupants with its server (xmpp/component_occupants.h).
inline constexpr std::string_view kSpaceOccupantsNs = "urn:convene:callbridge:occupants";

}  // namespace convene::xmpp
