#include "web/cms_api.h"

#include <chrono>

#include "admin/callbridge_settings.h"
#include "admin/config_sections.h"
#include "admin/daemon.h"
#include "node/node.h"
#include "util/files.h"
#include "web/cms_cospaces.h"
#include "web/cms_render.h"
#include "web/form_decoding.h"
#include "web/web_context.h"

namespace convene::web {

using nlohmann::json;

namespace {

const auto kStarted = std::chrono::steady_clock::now();

// The running call bridge's own report (callbridge/status.h), or null when it does
// not run (the supervisor removes the file before each start).
json callbridge_report(Daemon& daemon) {
  if (!daemon.callbridge().state().pid) return json();
  auto text = read_file(callbridge_files(daemon.node().paths()).status);
  json st = text ? json::parse(*text, nullptr, false) : json();
  return st.is_object() ? st : json();
}

HttpResponse answer(int status, Format f, std::string body) {
  return {status, content_type_of(f), std::move(body), {}};
}

HttpResponse system_status(WebContext& routes, Format f) {
  Daemon& daemon = routes.daemon();
  auto up = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now() - kStarted).count();
  auto xmpp = daemon.xmpp().status();
  CmsObject o;
  o.fields = {{"softwareVersion", "Convene " CONVENE_VERSION},
              {"uptimeSeconds", std::to_string(up)},
              {"xmppServerRunning", xmpp.running ? "true" : "false"},
              {"xmppClientSessions", std::to_string(xmpp.client_sessions)},
              {"xmppComponents", std::to_string(xmpp.components.size())}};
  json st = callbridge_report(daemon);
  o.fields.push_back({"callBridgeState", st.is_object() ? st.value("state", "unknown")
                                                        : (daemon.callbridge().state().pid ? "starting" : "notRunning")});
  return answer(200, f, render_object(f, "status", o));
}

HttpResponse call_bridges(WebContext& routes, Format f) {
  Daemon& daemon = routes.daemon();
  CallbridgeConfig c = callbridge_config(daemon.node().config());
  std::vector<CmsObject> all;
  if (!c.name.empty()) {
    json st = callbridge_report(daemon);
    CmsObject o{c.name, {{"name", c.name}, {"domain", c.domain}, {"enabled", c.enabled ? "true" : "false"}}};
    o.fields.push_back({"state", st.is_object() ? st.value("state", "unknown") : "notRunning"});
    if (st.is_object() && !st.value("server", "").empty()) o.fields.push_back({"server", st.value("server", "")});
    all.push_back(std::move(o));
  }
  return answer(200, f, render_list(f, "callBridges", "callBridge", all.size(), all));
}

}  // namespace

HttpResponse handle_cms_api(WebContext& routes, const HttpRequest& r, const std::string& who) {
  Format f = format_for(r.header("accept"));
  const std::string prefix = "/api/v1/";
  std::string rest = r.path.substr(prefix.size());
  while (!rest.empty() && rest.back() == '/') rest.pop_back();
  auto method_not_allowed = [&] { return answer(405, f, render_failure(f, "methodNotSupported")); };
  if (rest == "system/status") return r.method == "GET" ? system_status(routes, f) : method_not_allowed();
  if (rest == "callBridges") return r.method == "GET" ? call_bridges(routes, f) : method_not_allowed();
  if (rest == "coSpaces" || rest.rfind("coSpaces/", 0) == 0) return handle_cospaces(routes, r, rest, who);
  return answer(404, f, render_failure(f, "objectDoesNotExist"));
}

}  // namespace convene::web
