#include "web/cms_cospaces.h"

#include <algorithm>

#include "admin/callbridge_settings.h"
#include "admin/callbridge_spaces.h"
#include "admin/command_dispatch.h"
#include "admin/config_sections.h"
#include "admin/daemon.h"
#include "node/node.h"
#include "util/strings.h"
#include "web/cms_render.h"
#include "web/form_decoding.h"
#include "web/web_context.h"

namespace convene::web {

namespace {

using Attributes = std::vector<std::pair<std::string, std::string>>;

HttpResponse answer(int status, Format f, std::string body) {
  return {status, content_type_of(f), std::move(body), {}};
}

HttpResponse failure(int status, Format f, const std::string& kind, const Attributes& attributes = {}) {
  return answer(status, f, render_failure(f, kind, attributes));
}

// The bridge's component address (cb1.example.com), as the bridge registers it;
// empty until both are configured.
std::string component(Daemon& daemon) {
  CallbridgeConfig c = callbridge_config(daemon.node().config());
  return c.name.empty() || c.domain.empty() ? "" : c.name + "." + c.domain;
}

CmsObject cms_space(const SpaceSummary& s, const std::string& component) {
  std::string owners;
  for (auto& jid : s.owners) owners += (owners.empty() ? "" : ", ") + jid;
  CmsObject o{s.address,
              {{"name", s.configured_name.empty() ? s.address : s.configured_name},
               {"uri", component.empty() ? s.address : s.address + "@" + component}}};
  if (!owners.empty()) o.fields.push_back({"owners", owners});
  o.fields.push_back({"locked", s.locked ? "true" : "false"});
  o.fields.push_back({"occupants", std::to_string(s.occupants.size())});
  return o;
}

// The store's spaces; none before the node has a call bridge (not an error: there
// is simply nothing yet).
Result<std::vector<SpaceSummary>> spaces(Daemon& daemon) {
  if (!spaces_store_exists(daemon)) return std::vector<SpaceSummary>{};
  return read_spaces(daemon);
}

bool exists(Daemon& daemon, const std::string& id) {
  auto all = spaces(daemon);
  return all && std::any_of(all->begin(), all->end(), [&](auto& s) { return s.address == id; });
}

HttpResponse store_unreadable(Format f, const Error& e) {
  return failure(503, f, "databaseNotReady", {{"message", render_error(e)}});
}

// An empty body has no parameters whatever its type (curl -X PUT sends none), so it
// is read as an empty form; any other body must be a form.
std::optional<HttpResponse> form_refused(const HttpRequest& r, Format f, std::map<std::string, std::string>& form) {
  if (!r.body.empty() && media_type(r.header("content-type")) != "application/x-www-form-urlencoded")
    return failure(415, f, "unsupportedMediaType", {{"expected", "application/x-www-form-urlencoded"}});
  auto decoded = decode_form(r.body);
  if (!decoded) return failure(400, f, "parameterError", {{"error", "parseError"}, {"message", decoded.error().message}});
  form = std::move(*decoded);
  return std::nullopt;
}

HttpResponse list_spaces(WebContext& routes, const HttpRequest& r, Format f) {
  auto query = decode_form(r.query);
  if (!query) return failure(400, f, "parameterError", {{"error", "invalidValue"}});
  auto page = parse_page_request(*query);
  if (!page) return failure(400, f, "parameterError", {{"parameter", page.error().message}, {"error", "invalidValue"}});
  auto all = spaces(routes.daemon());
  if (!all) return store_unreadable(f, all.error());
  std::string at = component(routes.daemon());
  std::vector<CmsObject> objects;
  for (auto& s : *all) objects.push_back(cms_space(s, at));
  size_t total = 0;
  auto selected = select_page(objects, *page, total);
  return answer(200, f, render_list(f, "coSpaces", "coSpace", total, selected));
}

HttpResponse one_space(WebContext& routes, const std::string& id, Format f) {
  auto all = spaces(routes.daemon());
  if (!all) return store_unreadable(f, all.error());
  for (auto& s : *all)
    if (s.address == id) return answer(200, f, render_object(f, "coSpace", cms_space(s, component(routes.daemon()))));
  return failure(404, f, "coSpaceDoesNotExist");
}

// CMS's name and uri: Convene names a space by its address only, so the two must
// agree (uri's user part; a full uri must be at this bridge) and either will do.
Result<std::string> requested_address(Daemon& daemon, std::map<std::string, std::string>& form, std::string& parameter) {
  std::optional<std::string> from_uri;
  if (auto it = form.find("uri"); it != form.end()) {
    parameter = "uri";
    std::string uri = it->second;
    auto at = uri.find('@');
    if (at != std::string::npos) {
      if (uri.substr(at + 1) != component(daemon))
        return make_error("uri '" + uri + "' is not at this call bridge (" + component(daemon) + ")",
                          "Give the user part only, e.g. uri=weekly.");
      uri = uri.substr(0, at);
    }
    from_uri = uri;
  }
  if (auto it = form.find("name"); it != form.end()) {
    parameter = "name";
    if (from_uri && *from_uri != it->second)
      return make_error("name '" + it->second + "' and uri '" + *from_uri + "' differ",
                        "Convene names a space by its address: give one of them, or the same in both.");
    return it->second;
  }
  if (from_uri) return *from_uri;
  parameter = "name";
  return make_error("a coSpace needs a name or a uri", "Give name=<address>, e.g. name=weekly.");
}

HttpResponse create_space(WebContext& routes, const HttpRequest& r, Format f, const std::string& who) {
  std::map<std::string, std::string> form;
  if (auto refused = form_refused(r, f, form)) return *refused;
  for (auto& [key, value] : form)
    if (key != "name" && key != "uri") return failure(400, f, "parameterError", {{"parameter", key}, {"error", "unrecognised"}});
  std::string parameter;
  auto text = requested_address(routes.daemon(), form, parameter);
  if (!text)
    return failure(400, f, "parameterError",
                   {{"parameter", parameter}, {"error", form.count(parameter) ? "invalidValue" : "required"},
                    {"message", render_error(text.error())}});
  auto o = routes.run(who, {"callbridge", "space", "add", *text});
  if (!o.ok) {
    auto name = space_name(*text);
    if (!name) return failure(400, f, "parameterError", {{"parameter", parameter}, {"error", "invalidValue"}, {"message", o.error}});
    if (exists(routes.daemon(), *name)) return failure(400, f, "duplicateCoSpaceUri", {{"message", o.error}});
    return failure(400, f, "operationRefused", {{"message", o.error}});
  }
  HttpResponse out{200, content_type_of(f), "", {}};
  out.headers.push_back({"Location", "/api/v1/coSpaces/" + *space_name(*text)});
  return out;
}

// CMS's `name` is the space's shown name: `callbridge space name` (the room
// configuration's name, which the owner can set too). Everything else CMS has
// (uri, secondaryUri, callId, passcode, ...) Convene has no notion of, or (uri:
// the address) does not change: refused as unrecognised before anything changes.
HttpResponse change_space(WebContext& routes, const HttpRequest& r, const std::string& id, Format f,
                          const std::string& who) {
  std::map<std::string, std::string> form;
  if (auto refused = form_refused(r, f, form)) return *refused;
  if (!exists(routes.daemon(), id)) return failure(404, f, "coSpaceDoesNotExist");
  for (auto& [key, value] : form)
    if (key != "name")
      return failure(400, f, "parameterError",
                     {{"parameter", key}, {"error", "unrecognised"},
                      {"message", key == "uri" ? "a space's address is how clients reach it: it does not change"
                                               : "Convene's spaces have no '" + key + "'; only name can be changed"}});
  if (auto it = form.find("name"); it != form.end()) {
    auto o = routes.run(who, {"callbridge", "space", "name", id, it->second.empty() ? "none" : it->second});
    if (!o.ok) return failure(400, f, "parameterError", {{"parameter", "name"}, {"error", "invalidValue"}, {"message", o.error}});
  }
  return answer(200, f, "");
}

HttpResponse delete_space(WebContext& routes, const std::string& id, Format f, const std::string& who) {
  auto o = routes.run(who, {"callbridge", "space", "delete", id}, {}, true, true);
  if (o.ok) return answer(200, f, "");
  if (!exists(routes.daemon(), id)) return failure(404, f, "coSpaceDoesNotExist");
  return failure(400, f, "operationRefused", {{"message", o.error}});
}

}  // namespace

HttpResponse handle_cospaces(WebContext& routes, const HttpRequest& r, const std::string& rest,
                             const std::string& who) {
  Format f = format_for(r.header("accept"));
  auto method_not_allowed = [&] { return failure(405, f, "methodNotSupported"); };
  if (rest == "coSpaces") {
    if (r.method == "GET") return list_spaces(routes, r, f);
    if (r.method == "POST") return create_space(routes, r, f, who);
    return method_not_allowed();
  }
  auto id = percent_decode(rest.substr(std::string("coSpaces/").size()));
  if (!id) return failure(404, f, "coSpaceDoesNotExist");
  if (r.method == "GET") return one_space(routes, *id, f);
  if (r.method == "PUT") return change_space(routes, r, *id, f, who);
  if (r.method == "DELETE") return delete_space(routes, *id, f, who);
  return method_not_allowed();
}

}  // namespace convene::web
