#include "admin/xmpp_settings.h"

#include <map>
#include <mutex>

#include "util/log.h"
#include "xmpp_core/jid.h"

namespace convene {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

// A configured file name → its absolute path in the file area (the service may run
// with another working directory than the node's).
Result<std::string> file_path(Node& node, const std::string& name, const std::string& what) {
  auto path = node.paths().existing_file(name);
  if (!path)
    return make_error("the XMPP " + what + " '" + name + "' is missing from the file area",
                      "Upload it again, or choose other files with 'xmpp certs <key> <cert> [<bundle>]'.");
  return fs::absolute(*path).string();
}

template <class T>
void set_limit(T& field, unsigned long v) {
  field = static_cast<T>(v);
}

}  // namespace

const std::vector<XmppLimitSpec>& xmpp_limit_specs() {
  using L = xmpp::Limits;
  static const std::vector<XmppLimitSpec> specs = {
      {"max-stanza-bytes", "bytes", 1024, 64ul << 20, [](const L& l) -> unsigned long { return l.max_stanza_bytes; },
       [](L& l, unsigned long v) { set_limit(l.max_stanza_bytes, v); }},
      {"max-depth", "levels", 4, 1024, [](const L& l) -> unsigned long { return l.max_depth; },
       [](L& l, unsigned long v) { set_limit(l.max_depth, v); }},
      {"auth-timeout", "seconds", 1, 3600, [](const L& l) -> unsigned long { return l.auth_timeout_seconds; },
       [](L& l, unsigned long v) { set_limit(l.auth_timeout_seconds, v); }},
      {"idle-timeout", "seconds", 10, 86400, [](const L& l) -> unsigned long { return l.idle_timeout_seconds; },
       [](L& l, unsigned long v) { set_limit(l.idle_timeout_seconds, v); }},
      {"read-rate", "bytes per second", 1024, 1ul << 30,
       [](const L& l) -> unsigned long { return l.read_rate_bytes_per_second; },
       [](L& l, unsigned long v) { set_limit(l.read_rate_bytes_per_second, v); }},
      {"max-connections-per-address", "connections", 1, 1'000'000,
       [](const L& l) -> unsigned long { return l.max_connections_per_address; },
       [](L& l, unsigned long v) { set_limit(l.max_connections_per_address, v); }},
  };
  return specs;
}

const XmppLimitSpec* find_xmpp_limit(const std::string& name) {
  for (auto& spec : xmpp_limit_specs())
    if (name == spec.name) return &spec;
  return nullptr;
}

xmpp::Limits configured_xmpp_limits(const XmppConfig& config) {
  xmpp::Limits limits;
  for (auto& [name, value] : config.limits.items()) {
    auto* spec = find_xmpp_limit(name);
    if (spec && value.is_number_unsigned()) spec->set(limits, value.get<unsigned long>());
  }
  return limits;
}

Result<xmpp::Settings> xmpp_settings(Node& node) {
  XmppConfig config = xmpp_config(node.config());
  xmpp::Settings settings;

  if (config.domain.empty()) return make_error("no XMPP domain: set it with 'xmpp domain <domain>'");
  settings.domain = config.domain;

  if (config.listen.empty())
    return make_error("no XMPP listening interfaces: set them with 'xmpp listen <iface> [<iface>...]'");
  for (auto& iface : config.listen) {
    auto address = node.interfaces().address(iface);
    if (!address) return address.error();
    settings.addresses.push_back(*address);
  }

  if (config.key.empty() || config.cert.empty())
    return make_error("no XMPP certificates: set them with 'xmpp certs <key> <cert> [<bundle>]'");
  auto key = file_path(node, config.key, "private key");
  if (!key) return key.error();
  auto cert = file_path(node, config.cert, "certificate");
  if (!cert) return cert.error();
  settings.key_file = *key;
  settings.cert_file = *cert;
  if (!config.bundle.empty()) {
    auto bundle = file_path(node, config.bundle, "CA bundle");
    if (!bundle) return bundle.error();
    settings.bundle_file = *bundle;
  }

  settings.allow_plaintext = config.plaintext;
  settings.allow_registration = config.registration;
  settings.client_port = static_cast<uint16_t>(config.client_port);
  settings.component_port = static_cast<uint16_t>(config.component_port);
  settings.limits = configured_xmpp_limits(config);
  return settings;
}

// ---- start ---------------------------------------------------------------------------

namespace {
std::mutex start_mutex;
std::map<const Node*, Error> start_errors;  // one entry per node whose last start failed
}  // namespace

std::optional<Error> last_xmpp_start_error(const Node& node) {
  std::lock_guard lock(start_mutex);
  auto it = start_errors.find(&node);
  if (it == start_errors.end()) return std::nullopt;
  return it->second;
}

void remember_xmpp_start(const Node& node, const Status& outcome) {
  std::lock_guard lock(start_mutex);
  if (outcome)
    start_errors.erase(&node);
  else
    start_errors.insert_or_assign(&node, outcome.error());
}

Status start_xmpp_service(Daemon& daemon) {
  auto log = logger("xmpp");
  Node& node = daemon.node();
  auto settings = xmpp_settings(node);
  if (!settings) {
    remember_xmpp_start(node, settings.error());
    return settings.error();
  }
  // New settings take effect by a restart: the listeners and TLS contexts are
  // built at start.
  if (daemon.xmpp().status().running) {
    log->info("restarting the XMPP service to apply its settings");
    daemon.xmpp().stop();
  }
  Status started = daemon.xmpp().start(*settings);
  remember_xmpp_start(node, started);
  if (started)
    log->info("XMPP service started for domain {}", settings->domain);
  else
    log->error("XMPP service did not start: {}", started.error().message);
  return started;
}

}  // namespace convene
