#pragma once
// The XEP-0045 owner and admin namespaces and data forms, used by the spaces only
// (the server's shared ones are in xmpp_core/namespaces.h).
#include <string_view>

namespace convene::callbridge {
inline constexpr std::string_view kMucOwnerNs = "http://jabber.org/protocol/muc#owner";  // XEP-0045
inline constexpr std::string_view kMucAdminNs = "http://jabber.org/protocol/muc#admin";  // XEP-0045
inline constexpr std::string_view kDataFormsNs = "jabber:x:data";                       // XEP-0004
}  // namespace convene::callbridge
