#pragma once
// The XMPP service's settings as the operator configured them with `xmpp ...`
// commands: the "xmpp" section of the node's configuration, turned into
// xmpp::Settings (interface names resolved to addresses, file names to absolute
// paths in the file area).
//
// Configuration keys of the "xmpp" section (XmppConfig in config_sections.h):
//   domain        "tptac9.com"
//   listen        ["a", "b"]             interface names, as CMS names them
//   key, cert     "abhiall.key", ...      plain names in the file area
//   bundle        "certall.cer"           optional
//   enabled       true|false              start the service when the daemon starts
//   plaintext     true|false              unencrypted client connections (off)
//   registration  true|false              XEP-0077 in-band registration (off)
//   limits        {"max-stanza-bytes": N, ...}   see kXmppLimits
//   client-port, component-port           for tests running beside another server
//
// Thread-safety: free functions; the start record is guarded by its own mutex.
#include <optional>
#include <string>
#include <vector>

#include "admin/config_sections.h"
#include "admin/daemon.h"
#include "node/node.h"
#include "xmpp/service.h"

namespace convene {

// Builds the settings, or says the first thing missing and the command that sets
// it ("no XMPP domain: set it with 'xmpp domain <domain>'").
Result<xmpp::Settings> xmpp_settings(Node& node);

// The limits `xmpp limit <name> <value>` knows, with their bounds.
struct XmppLimitSpec {
  const char* name;  // "max-stanza-bytes"
  const char* unit;  // "bytes"
  unsigned long min, max;
  unsigned long (*get)(const xmpp::Limits&);
  void (*set)(xmpp::Limits&, unsigned long);
};
const std::vector<XmppLimitSpec>& xmpp_limit_specs();
const XmppLimitSpec* find_xmpp_limit(const std::string& name);
// The defaults with the configured limits applied (also when the rest of the
// settings is incomplete, for `xmpp status`).
xmpp::Limits configured_xmpp_limits(const XmppConfig& config);

// Builds the settings and starts the service (restarting it if it runs), and
// remembers the outcome for `xmpp status`. Used at daemon start and by `xmpp enable`.
Status start_xmpp_service(Daemon& daemon);

// The outcome of the last start attempt of this node's service: nullopt when it
// succeeded or none was made. Kept in memory: a restarted daemon tries again.
std::optional<Error> last_xmpp_start_error(const Node& node);
void remember_xmpp_start(const Node& node, const Status& outcome);

}  // namespace convene
