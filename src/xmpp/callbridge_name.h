#pragma once
// A call bridge's name as the XMPP store keeps it; its own header because both the
// store's state (xmpp_state) and the space occupants (space_occupants), which the
// state holds, check names.
#include <string>
#include <string_view>

#include "util/result.h"

namespace convene::xmpp {

// A call bridge's name: a valid JID localpart without a dot (the component's JID is
// <name>.<domain>, so a dot would make it another domain's subdomain). Returns the
// prepared name, or an error that says what is wrong.
Result<std::string> prepare_callbridge_name(std::string_view name);

}  // namespace convene::xmpp
