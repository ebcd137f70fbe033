#include "web/web_pages.h"

#include <fstream>

#include "admin/callbridge_spaces.h"
#include "admin/certificate_arguments.h"
#include "admin/command_dispatch.h"
#include "admin/config_sections.h"
#include "admin/daemon.h"
#include "node/node.h"
#include "pki/certificate_info.h"
#include "util/log.h"
#include "util/strings.h"
#include "web/cms_render.h"
#include "web/form_decoding.h"
#include "web/node_certificates.h"
#include "web/web_context.h"
#include "web/web_sessions.h"

namespace convene::web {

namespace {

using Clock = WebSessions::Clock;

std::string esc(const std::string& s) { return xml_escape(s); }

HttpResponse html(int status, std::string body) { return {status, "text/html; charset=utf-8", std::move(body), {}}; }

HttpResponse redirect(const std::string& to) {
  HttpResponse r{303, "text/plain; charset=utf-8", "", {}};
  r.headers.push_back({"Location", to});
  return r;
}

const char* kStyle =
    "body{font-family:sans-serif;margin:0;background:#f4f5f7;color:#222}"
    "nav{background:#1d3557;padding:8px 16px}nav a{color:#fff;margin-right:16px;text-decoration:none}"
    "nav form{display:inline;float:right}main{padding:16px}"
    "pre{background:#fff;border:1px solid #ccc;padding:8px;overflow:auto}"
    ".error{color:#b00020;white-space:pre-wrap}.ok{color:#1b5e20;white-space:pre-wrap}"
    "table{border-collapse:collapse;background:#fff}td,th{border:1px solid #ccc;padding:4px 8px;text-align:left}"
    "label{display:block;margin-top:8px}input[type=text],input[type=password]{width:24em}";

std::string page(const std::string& title, const WebSession* s, const std::string& content) {
  std::string out = "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>" + esc(title) +
                    " - Convene</title><style>" + kStyle + "</style></head><body>";
  if (s) {
    out += "<nav><a href=\"/\">Status</a><a href=\"/config/general\">Configuration &gt; General</a>"
           "<a href=\"/spaces\">Spaces</a><a href=\"/users\">Users</a><a href=\"/logs\">Logs</a>"
           "<form method=\"post\" action=\"/logout\"><input type=\"hidden\" name=\"csrf\" value=\"" +
           esc(s->csrf) + "\"><button id=\"logout\">Log out " + esc(s->user) + "</button></form></nav>";
  }
  return out + "<main><h1>" + esc(title) + "</h1>" + content + "</main></body></html>";
}

std::string outcome_html(const CommandOutcome& o) {
  return o.ok ? "<p class=\"ok\">" + esc(o.output) + "</p>" : "<p class=\"error\">" + esc(o.error) + "</p>";
}

// ---- login ------------------------------------------------------------------

std::string login_form(const std::string& message) {
  return page("Log in", nullptr,
              (message.empty() ? "" : "<p class=\"error\" id=\"message\">" + esc(message) + "</p>") +
                  "<form method=\"post\" action=\"/login\"><label>User name <input type=\"text\" name=\"user\" "
                  "id=\"user\" autofocus></label><label>Password <input type=\"password\" name=\"password\" "
                  "id=\"password\"></label><p><button id=\"login\">Log in</button></p></form>");
}

HttpResponse login(WebContext& routes, WebSessions& sessions, const HttpRequest& r) {
  if (r.method == "GET") return html(200, login_form(""));
  if (media_type(r.header("content-type")) != "application/x-www-form-urlencoded")
    return html(415, login_form("The form must be sent as application/x-www-form-urlencoded."));
  auto form = decode_form(r.body);
  if (!form) return html(400, login_form("The form could not be read: " + form.error().message));
  std::chrono::seconds wait{0};
  auto account = routes.login(r.peer, (*form)["user"], (*form)["password"], wait);
  if (wait.count() > 0)
    return html(429, login_form("Too many failed logins from your address: try again in " + std::to_string(wait.count()) +
                                " seconds."));
  if (!account) return html(401, login_form("Wrong user name or password."));
  if (account->role == Role::api)
    return html(403, login_form("This account may use the API only (role api)."));
  std::string id = sessions.create(account->name, account->role, Clock::now());
  // A page session is opened once per login (the API's Basic auth checks every
  // request, so only its refusals are logged, by WebContext::login).
  logger("audit")->info("who={}(web)@{} what='login' done", account->name, r.peer);
  HttpResponse out = redirect("/");
  out.headers.push_back({"Set-Cookie", session_cookie(id)});
  return out;
}

// ---- pages ------------------------------------------------------------------

std::string command_block(WebContext& routes, const WebSession& s, const std::vector<std::string>& argv,
                          const std::string& id) {
  auto o = routes.run(s.user + "(web)", argv, {}, false);
  return "<h2>" + esc(join(argv, " ")) + "</h2><pre id=\"" + id + "\">" + esc(o.ok ? o.output : o.error) + "</pre>";
}

// Each certificate the node serves with, its days left now, and a warning from
// kCertificateExpiryWarningDays ahead (as `webadmin status` and `database cluster
// status` warn), naming the command that replaces it.
std::string certificates_block(WebContext& routes) {
  auto now = pki::current_time();
  std::string rows, warnings;
  for (auto& c : node_certificates(routes.daemon().node())) {
    std::string state = c.info ? pki::validity_sentence(*c.info, now) : c.problem;
    std::string days = c.info ? std::to_string(pki::days_left(*c.info, now)) : "";
    bool warn = !c.info || pki::expires_within(*c.info, now, kCertificateExpiryWarningDays);
    rows += "<tr class=\"certificate" + std::string(warn ? " warning" : "") + "\" data-use=\"" + esc(c.use) + "\"><td>" +
            esc(c.use) + "</td><td>" + esc(c.file) + "</td><td class=\"days-left\">" + days + "</td><td>" + esc(state) +
            "</td></tr>";
    if (warn)
      warnings += "<p class=\"error cert-warning\">WARNING: " + esc(c.use) + " certificate " + esc(c.file) + ": " +
                  esc(state) + ": replace it with '" + esc(c.command) + "'</p>";
  }
  if (rows.empty()) return "<h2>Certificates</h2><p id=\"certificates\">No certificates configured.</p>";
  return "<h2>Certificates</h2><table id=\"certificates\"><tr><th>Use</th><th>File</th><th>Days left</th><th>State</th></tr>" +
         rows + "</table>" + warnings;
}

std::string status_blocks(WebContext& routes, const WebSession& s) {
  return certificates_block(routes) + command_block(routes, s, {"xmpp", "status"}, "xmpp-status") +
         command_block(routes, s, {"xmpp", "cluster", "status"}, "xmpp-cluster-status") +
         command_block(routes, s, {"database", "cluster", "status"}, "database-status") +
         command_block(routes, s, {"callbridge", "status"}, "callbridge-status") +
         command_block(routes, s, {"webadmin", "status"}, "webadmin-status");
}

HttpResponse status_page(WebContext& routes, const WebSession& s) {
  // The blocks are fetched again every 5 s and swapped in: the page follows the
  // node without a reload (and without losing the operator's scroll position).
  std::string script =
      "<script>setInterval(async()=>{try{const r=await fetch('/status/blocks',{credentials:'same-origin'});"
      "if(r.ok){document.getElementById('blocks').innerHTML=await r.text();"
      "document.getElementById('refreshed').textContent=new Date().toISOString();}}catch(e){}},5000);</script>";
  return html(200, page("Status", &s,
                        "<p>Refreshed <span id=\"refreshed\">at load</span></p><div id=\"blocks\">" +
                            status_blocks(routes, s) + "</div>" + script));
}

std::string field(const std::string& label, const std::string& name, const std::string& value,
                  const std::string& type = "text") {
  return "<label>" + esc(label) + " <input type=\"" + type + "\" name=\"" + name + "\" id=\"" + name +
         "\" value=\"" + esc(value) + "\"></label>";
}

HttpResponse general_page(WebContext& routes, const WebSession& s, const std::string& result) {
  CallbridgeConfig c = callbridge_config(routes.daemon().node().config());
  std::string form = "<form method=\"post\" action=\"/config/general\"><input type=\"hidden\" name=\"csrf\" value=\"" +
                     esc(s.csrf) + "\">" + field("Unique Call Bridge name", "name", c.name) +
                     field("Domain", "domain", c.domain) +
                     field("Server address (empty: DNS SRV)", "server", c.server.value_or("")) +
                     field("Shared secret (empty: unchanged)", "secret", "", "password") +
                     (s.role == Role::admin ? "<p><button id=\"submit\">Submit</button></p>" : "") + "</form>";
  return html(200, page("Configuration > General", &s,
                        "<h2>Call Bridge Identity / XMPP server settings</h2>" + result + form +
                            command_block(routes, s, {"callbridge", "status"}, "callbridge-status")));
}

// Each field the operator changed is one `callbridge ...` command, in the order
// mmp users type them; the first refusal stops (and says which field).
HttpResponse general_post(WebContext& routes, const WebSession& s, std::map<std::string, std::string>& form,
                          const std::string& who) {
  CallbridgeConfig c = callbridge_config(routes.daemon().node().config());
  std::string result;
  auto step = [&](const std::vector<std::string>& argv, std::deque<std::string> secrets = {}) {
    auto o = routes.run(who, argv, std::move(secrets));
    result += outcome_html(o);
    return o.ok;
  };
  bool ok = true;
  if (ok && form["name"] != c.name) ok = step({"callbridge", "name", form["name"]});
  if (ok && form["domain"] != c.domain) ok = step({"callbridge", "domain", form["domain"]});
  if (ok && form["server"] != c.server.value_or(""))
    ok = step({"callbridge", "server", form["server"].empty() ? "none" : form["server"]});
  if (ok && !form["secret"].empty()) ok = step({"callbridge", "secret"}, {form["secret"]});
  if (result.empty()) result = "<p class=\"ok\">Nothing changed.</p>";
  HttpResponse out = general_page(routes, s, "<div id=\"result\">" + result + "</div>");
  if (!ok) out.status = 400;
  return out;
}

// The spaces of the store (admin/callbridge_spaces.h, what `callbridge space list`
// reads), a create form and a delete button per space for admins; `result` is the
// last change's outcome (mmp's message).
HttpResponse spaces_page(WebContext& routes, const WebSession& s, const std::string& result = "", int status = 200) {
  const bool admin = s.role == Role::admin;
  auto csrf = "<input type=\"hidden\" name=\"csrf\" value=\"" + esc(s.csrf) + "\">";
  std::string table;
  if (!spaces_store_exists(routes.daemon())) {
    table = "<p id=\"no-spaces\">No spaces: the call bridge is not set up on this node yet (Configuration &gt; General).</p>";
  } else if (auto spaces = read_spaces(routes.daemon()); !spaces) {
    table = "<p class=\"error\" id=\"spaces-error\">" + esc(render_error(spaces.error())) + "</p>";
  } else {
    table = "<table id=\"spaces\"><tr><th>Space</th><th>Name</th><th>Owners</th><th>Locked</th><th>Occupants</th>" +
            std::string(admin ? "<th></th>" : "") + "</tr>";
    for (auto& space : *spaces) {
      table += "<tr class=\"space\" data-space=\"" + esc(space.address) + "\"><td>" + esc(space.address) + "</td><td>" +
               esc(space.configured_name) + "</td><td>" + esc(join(space.owners, ", ")) + "</td><td>" +
               (space.locked ? "yes (awaiting its owner's configuration)" : "no") + "</td><td class=\"occupants\">" +
               esc(join(space.occupants, ", ")) + "</td>";
      if (admin)
        table += "<td><form method=\"post\" action=\"/spaces/delete\" onsubmit=\"return confirm('Delete space " +
                 esc(space.address) + " with its settings and history? Its occupants are removed.')\">" + csrf +
                 "<input type=\"hidden\" name=\"name\" value=\"" + esc(space.address) +
                 "\"><button class=\"delete\">Delete</button></form></td>";
      table += "</tr>";
    }
    table += "</table><p>Spaces: <span id=\"space-count\">" + std::to_string(spaces->size()) + "</span></p>";
  }
  std::string create = admin ? "<h2>Create a space</h2><form method=\"post\" action=\"/spaces\">" + csrf +
                                   field("Space (the part before @ in its address)", "name", "") +
                                   "<p><button id=\"create\">Create</button></p></form>"
                             : "";
  return html(status, page("Spaces", &s,
                           (result.empty() ? "" : "<div id=\"result\">" + result + "</div>") + table + create +
                               command_block(routes, s, {"callbridge", "status"}, "callbridge-status")));
}

// Create (`callbridge space add`) or delete (`callbridge space delete`; the
// browser asked the operator first, so the command's (Y/n) is answered yes).
HttpResponse spaces_post(WebContext& routes, const WebSession& s, std::map<std::string, std::string>& form,
                         bool remove, const std::string& who) {
  std::vector<std::string> argv{"callbridge", "space", remove ? "delete" : "add", form["name"]};
  auto o = routes.run(who, argv, {}, true, remove);
  return spaces_page(routes, s, outcome_html(o), o.ok ? 200 : 400);
}

HttpResponse users_page(WebContext& routes, const WebSession& s) {
  return html(200, page("Users", &s, command_block(routes, s, {"user", "list"}, "users")));
}

HttpResponse logs_page(WebContext& routes, const WebSession& s) {
  // The last lines of the node's log, read now (at most the last 256 KiB of it).
  std::ifstream in(routes.daemon().node().paths().logs() / "convened.log", std::ios::binary);
  std::string text;
  if (in) {
    in.seekg(0, std::ios::end);
    std::streamoff size = in.tellg();
    std::streamoff from = size > 256 * 1024 ? size - 256 * 1024 : 0;
    in.seekg(from);
    text.assign(std::istreambuf_iterator<char>(in), {});
  }
  std::vector<std::string> lines;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string::npos) end = text.size();
    lines.push_back(text.substr(pos, end - pos));
    pos = end + 1;
  }
  size_t first = lines.size() > 200 ? lines.size() - 200 : 0;
  std::string shown;
  for (size_t i = first; i < lines.size(); ++i) shown += lines[i] + "\n";
  return html(200, page("Logs", &s, "<p>The last 200 lines of convened.log</p><pre id=\"log\">" + esc(shown) + "</pre>"));
}

}  // namespace

HttpResponse handle_page(WebContext& routes, WebSessions& sessions, const HttpRequest& r) {
  if (r.path == "/login") return login(routes, sessions, r);
  std::string id = cookie_value(r.header("cookie"), kSessionCookie);
  auto session = id.empty() ? std::nullopt : sessions.find(id, Clock::now());
  if (!session) return r.method == "GET" ? redirect("/login") : html(403, login_form("Log in first."));
  const WebSession& s = *session;
  if (r.method == "POST") {
    // Every change: a form with this session's CSRF token, from an admin.
    if (media_type(r.header("content-type")) != "application/x-www-form-urlencoded")
      return html(415, page("Refused", &s, "<p class=\"error\">The form must be sent as application/x-www-form-urlencoded.</p>"));
    auto form = decode_form(r.body);
    if (!form) return html(400, page("Refused", &s, "<p class=\"error\">" + esc(form.error().message) + "</p>"));
    if (!csrf_matches(s.csrf, (*form)["csrf"]))
      return html(403, page("Refused", &s, "<p class=\"error\">The form's CSRF token is missing or wrong: nothing was changed. Reload the page and try again.</p>"));
    if (r.path == "/logout") {
      sessions.remove(id);
      HttpResponse out = redirect("/login");
      out.headers.push_back({"Set-Cookie", session_cookie("")});
      return out;
    }
    if (s.role != Role::admin)
      return html(403, page("Refused", &s, "<p class=\"error\">Your account may read only (role audit).</p>"));
    // The audit line's who: the account, that it came through the pages, and from where.
    const std::string who = s.user + "(web)@" + r.peer;
    if (r.path == "/config/general") return general_post(routes, s, *form, who);
    if (r.path == "/spaces" || r.path == "/spaces/delete")
      return spaces_post(routes, s, *form, r.path != "/spaces", who);
    return html(404, page("Not found", &s, ""));
  }
  if (r.method != "GET") return html(405, page("Refused", &s, ""));
  if (r.path == "/") return status_page(routes, s);
  if (r.path == "/status/blocks") return html(200, status_blocks(routes, s));
  if (r.path == "/config/general") return general_page(routes, s, "");
  if (r.path == "/spaces") return spaces_page(routes, s);
  if (r.path == "/users") return users_page(routes, s);
  if (r.path == "/logs") return logs_page(routes, s);
  return html(404, page("Not found", &s, "<p>No such page.</p>"));
}

}  // namespace convene::web
