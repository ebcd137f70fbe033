#include "xmpp/callbridge_name.h"

#include "xmpp_core/jid.h"

namespace convene::xmpp {

Result<std::string> prepare_callbridge_name(std::string_view name) {
  if (name.find('.') != std::string_view::npos)
    return make_error("invalid call bridge name '" + std::string(name) + "': it must not contain a dot",
                      "Give the name without the domain, e.g. 'cb1'.");
  auto prepared = prepare_localpart(name);
  if (!prepared)
    return make_error("invalid call bridge name '" + std::string(name) + "': " + prepared.error().message,
                      "Use letters, digits, '-' or '_', e.g. 'cb1'.");
  return prepared;
}

}  // namespace convene::xmpp
