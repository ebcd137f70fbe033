#include "web/web_admin.h"

#include <openssl/ssl.h>

#include "admin/daemon.h"
#include "node/node.h"
#include "tls/tls_context.h"
#include "util/log.h"
#include "web/web_routes.h"
#include "web/webadmin_config.h"
#include "web/xmpp_websocket.h"

namespace convene::web {

WebAdmin::WebAdmin(Daemon& daemon, const CommandRegistry& registry)
    : daemon_(daemon), routes_(std::make_unique<WebRoutes>(daemon, registry)) {}

WebAdmin::~WebAdmin() { stop(); }

Status WebAdmin::start() {
  Node& node = daemon_.node();
  WebadminConfig c = webadmin_config(node.config());
  if (c.iface.empty())
    return make_error("the web admin has no interface", "Set it with 'webadmin listen <iface> <port>', e.g. 'webadmin listen a 445'.");
  if (c.key.empty() || c.cert.empty())
    return make_error("the web admin has no certificate", "Set it with 'webadmin certs <key> <cert> [<bundle>]'.");
  auto address = node.interfaces().address(c.iface);
  if (!address) return address.error();
  tls::TlsContextSpec spec;
  spec.purpose = tls::Purpose::https_clients;
  auto key = node.paths().existing_file(c.key);
  if (!key) return key.error();
  auto cert = node.paths().existing_file(c.cert);
  if (!cert) return cert.error();
  spec.key = *key;
  spec.cert = *cert;
  if (!c.bundle.empty()) {
    auto bundle = node.paths().existing_file(c.bundle);
    if (!bundle) return bundle.error();
    spec.extra_chain = *bundle;
  }
  auto tls = tls::make_tls_context(spec);
  if (!tls) return tls.error();
  // XMPP WebSocket sessions idle for long on this listener: OpenSSL gives its
  // record buffers back between reads instead of keeping ~34 KiB per connection.
  SSL_CTX_set_mode((*tls)->native_handle(), SSL_MODE_RELEASE_BUFFERS);
  std::lock_guard lock(mutex_);
  // The old listener goes first: the new one binds the same port.
  set_state({});
  listener_.reset();
  WebRoutes* routes = routes_.get();
  Daemon* daemon = &daemon_;
  auto listener = HttpsListener::start(
      *address, c.port, *tls, [routes](const HttpRequest& r) { return routes->handle(r); },
      [daemon](const HttpRequest& r) { return answer_xmpp_websocket(*daemon, r); });
  if (!listener) return listener.error();
  listener_ = std::move(*listener);
  set_state({true, listener_->address(), listener_->port()});
  logger("web")->info("web admin listening on https://{}:{}/", *address, c.port);
  return ok_status();
}

void WebAdmin::stop() {
  std::lock_guard lock(mutex_);
  if (listener_) logger("web")->info("web admin stopped");
  set_state({});
  listener_.reset();
}

void WebAdmin::set_state(const State& s) {
  std::lock_guard lock(state_mutex_);
  state_ = s;
}

WebAdmin::State WebAdmin::state() const {
  std::lock_guard lock(state_mutex_);
  return state_;
}

}  // namespace convene::web
