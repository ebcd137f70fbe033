#include "web/cms_api.h"

#include <chrono>

#include "admin/callbridge_settings.h"
#include "admin/config_sections.h"
#include "admin/daemon.h"
#include "node/node.h"
#include "util/files.h"
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

std::vector<CmsObject> spaces(Daemon& daemon) {
  std::vector<CmsObject> out;
  json st = callbridge_report(daemon);
  if (!st.is_object()) return out;
  std::string component = st.value("component", "");
  for (auto& name : st.value("spaces", json::array())) {
    if (!name.is_string()) continue;
    std::string n = name.get<std::string>();
    out.push_back({n, {{"name", n}, {"uri", component.empty() ? n : n + "@" + component}}});
  }
  return out;
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

HttpResponse list_spaces(WebContext& routes, const HttpRequest& r, Format f) {
  auto query = decode_form(r.query);
  if (!query) return answer(400, f, render_failure(f, "parameterError", {{"error", "invalidValue"}}));
  auto page = parse_page_request(*query);
  if (!page)
    return answer(400, f, render_failure(f, "parameterError", {{"parameter", page.error().message}, {"error", "invalidValue"}}));
  size_t total = 0;
  auto selected = select_page(spaces(routes.daemon()), *page, total);
  return answer(200, f, render_list(f, "coSpaces", "coSpace", total, selected));
}

HttpResponse one_space(WebContext& routes, const std::string& id, Format f) {
  for (auto& s : spaces(routes.daemon()))
    if (s.id == id) return answer(200, f, render_object(f, "coSpace", s));
  return answer(404, f, render_failure(f, "coSpaceDoesNotExist"));
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
  if (rest == "coSpaces") return r.method == "GET" ? list_spaces(routes, r, f) : method_not_allowed();
  if (rest.rfind("coSpaces/", 0) == 0) {
    auto id = percent_decode(rest.substr(9));
    if (!id) return answer(404, f, render_failure(f, "coSpaceDoesNotExist"));
    if (r.method == "GET") return one_space(routes, *id, f);
    return method_not_allowed();
  }
  return answer(404, f, render_failure(f, "objectDoesNotExist"));
}

}  // namespace convene::web
