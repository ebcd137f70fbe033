#include "web/web_routes.h"

#include "web/basic_auth.h"
#include "web/cms_api.h"
#include "web/cms_render.h"
#include "web/host_meta.h"
#include "web/metrics.h"
#include "web/static_files.h"
#include "web/web_pages.h"
#include "web/web_sessions.h"
#include "web/webadmin_config.h"
#include "web/xmpp_websocket.h"
#include "admin/daemon.h"
#include "node/node.h"

namespace convene::web {

namespace {

HttpResponse unauthorized(Format f) {
  HttpResponse r{401, content_type_of(f), render_failure(f, "authenticationFailed"), {}};
  r.headers.push_back({"WWW-Authenticate", "Basic realm=\"Convene\", charset=\"UTF-8\""});
  return r;
}

// XEP-0156: where this node's XMPP WebSocket is, from the host the client used to
// ask (so names and addresses both work). Only this node's: the node does not know
// which other nodes of its XMPP cluster serve WebSockets (their web admin settings
// are theirs alone), and status never guesses. Empty when the endpoint is off.
HttpResponse host_meta(Daemon& daemon, const HttpRequest& r, bool json) {
  std::vector<std::string> urls;
  auto host = plain_host(r.header("host"));
  if (host && webadmin_config(daemon.node().config()).websocket) urls.push_back(xmpp_websocket_url(*host));
  HttpResponse answer{200, json ? "application/json" : "application/xrd+xml; charset=utf-8",
                      json ? render_host_meta_json(urls) : render_host_meta_xrd(urls), {}};
  // Read by web clients served from other origins (XEP-0156 §3.2).
  answer.headers.push_back({"Access-Control-Allow-Origin", "*"});
  return answer;
}

}  // namespace

WebRoutes::WebRoutes(Daemon& daemon, const CommandRegistry& registry)
    : context_(daemon, registry), sessions_(std::make_unique<WebSessions>()), web_files_(web_files_directory()) {}

WebRoutes::~WebRoutes() = default;

HttpResponse WebRoutes::handle(const HttpRequest& r) {
  Format f = format_for(r.header("accept"));
  if (r.body.size() > kMaxBody)
    return {413, content_type_of(f), render_failure(f, "requestTooLarge", {{"limit", std::to_string(kMaxBody)}}), {}};
  if (is_static_path(r.path)) return serve_static_file(web_files_, r);
  if (r.path == "/.well-known/host-meta" || r.path == "/.well-known/host-meta.json") {
    if (r.method != "GET" && r.method != "HEAD") return {405, "text/plain; charset=utf-8", "GET only\n", {}};
    return host_meta(context_.daemon(), r, r.path.back() == 'n');
  }
  const bool api = r.path.rfind("/api/v1/", 0) == 0;
  if (api || r.path == "/metrics") {
    auto credentials = parse_basic_authorization(r.header("authorization"));
    if (!credentials) return unauthorized(f);
    std::chrono::seconds wait{0};
    auto account = context_.login(r.peer, credentials->user, credentials->password, wait);
    if (wait.count() > 0) {
      HttpResponse slow{429, content_type_of(f), render_failure(f, "tooManyFailedLogins"), {}};
      slow.headers.push_back({"Retry-After", std::to_string(wait.count())});
      return slow;
    }
    if (!account) return unauthorized(f);
    bool reading = r.method == "GET" || r.method == "HEAD";
    if (account->role == Role::audit && !reading)
      return {403, content_type_of(f), render_failure(f, "operationNotPermitted"), {}};
    if (r.path == "/metrics") return {200, "text/plain; version=0.0.4; charset=utf-8", render_metrics(context_), {}};
    return handle_cms_api(context_, r, account->name + "@" + r.peer);
  }
  return handle_page(context_, *sessions_, r);
}

}  // namespace convene::web
