// The `webadmin` command group, as CMS's MMP has it: the HTTPS listener's
// interface and port, its key and certificate (from the node's file area, checked
// with the same helpers and messages as `xmpp certs`), enable, disable, status.
//
// Settings go to the node's "webadmin" section (webadmin_config.h). Every handler
// checks all of its input before changing anything; a change while the web admin
// is enabled restarts the listener, so what serves is what status shows.
#include "admin/certificate_arguments.h"
#include "admin/daemon.h"
#include "node/node.h"
#include "pki/certificate_info.h"
#include "pki/key.h"
#include "pki/pem.h"
#include "pki/verify.h"
#include "util/log.h"
#include "util/strings.h"
#include "web/web_admin.h"
#include "web/webadmin_config.h"
#include "web/xmpp_websocket.h"

namespace convene::web {

using nlohmann::json;

namespace {

std::string kv(const std::string& key, const std::string& value, size_t width = 20) {
  return key_value_line(key, value, width);
}

Status apply(CommandRequest& req, WebAdmin& web) {
  if (!webadmin_config(req.node.config()).enabled) return ok_status();
  if (auto st = web.start(); !st)
    return make_error("the setting is saved, but the web admin could not be restarted: " + st.error().message,
                      st.error().hint);
  req.io.print("The web admin was restarted with the new setting.");
  return ok_status();
}

Status update(CommandRequest& req, const std::function<void(json&)>& change) {
  return req.node.config().update("webadmin", [&](json& s) {
    if (!s.is_object()) s = json::object();
    change(s);
    return ok_status();
  });
}

Result<uint16_t> parse_port(const std::string& text) {
  unsigned long value = 0;
  bool digits = !text.empty() && text.size() <= 5 &&
                std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
  if (digits) value = std::stoul(text);
  if (!digits || value < 1 || value > 65535)
    return make_error("'" + text + "' is not a TCP port", "Give a number from 1 to 65535, e.g. 'webadmin listen a 445'.");
  return static_cast<uint16_t>(value);
}

Status listen(CommandRequest& req, WebAdmin& web) {
  CONVENE_TRY(req.node.interfaces().address(req.args[0]));
  auto port = parse_port(req.args[1]);
  if (!port) return port.error();
  CONVENE_TRY(update(req, [&](json& s) {
    s["iface"] = req.args[0];
    s["port"] = *port;
  }));
  logger("audit")->info("who=mmp what='webadmin listen {} {}'", req.args[0], *port);
  return apply(req, web);
}

Status certs(CommandRequest& req, WebAdmin& web) {
  auto checked = check_certificate_arguments(req, "webadmin certs");
  if (!checked) return checked.error();
  const std::string& bundle_name = checked->bundle_name;
  CONVENE_TRY(update(req, [&](json& s) {
    s["key"] = req.args[0];
    s["cert"] = req.args[1];
    if (bundle_name.empty())
      s.erase("bundle");
    else
      s["bundle"] = bundle_name;
  }));
  logger("audit")->info("who=mmp what='webadmin certs {} {}{}'", req.args[0], req.args[1],
                        bundle_name.empty() ? "" : " " + bundle_name);
  warn_of_expiring_certificates(req, *checked);
  return apply(req, web);
}

Status enable(CommandRequest& req, WebAdmin& web) {
  CONVENE_TRY(web.start());
  if (auto st = update(req, [](json& s) { s["enabled"] = true; }); !st) {
    web.stop();  // not recorded as enabled: do not leave it serving
    return st;
  }
  logger("audit")->info("who=mmp what='webadmin enable'");
  auto s = web.state();
  req.io.print("Web admin enabled: https://" + s.address + ":" + std::to_string(s.port) + "/");
  return ok_status();
}

Status disable(CommandRequest& req, WebAdmin& web) {
  CONVENE_TRY(update(req, [](json& s) { s["enabled"] = false; }));
  web.stop();
  logger("audit")->info("who=mmp what='webadmin disable'");
  req.io.print("Web admin disabled");
  return ok_status();
}

// XMPP over WebSocket (xmpp_websocket.h): read at each upgrade, so no restart.
Status websocket(CommandRequest& req, WebAdmin&) {
  const std::string& word = req.args[0];
  if (word != "on" && word != "off")
    return make_error("'" + word + "' is neither 'on' nor 'off'", "Usage: webadmin websocket on|off");
  CONVENE_TRY(update(req, [&](json& s) { s["websocket"] = word == "on"; }));
  logger("audit")->info("who=mmp what='webadmin websocket {}'", word);
  req.io.print(word == "on" ? std::string("XMPP over WebSocket is on (") + kXmppWebSocketPath +
                                  " on the web admin's listener)"
                            : std::string("XMPP over WebSocket is off; open WebSocket sessions stay until they end"));
  return ok_status();
}

Result<std::string> origin_argument(const std::string& text) {
  auto origin = canonical_origin(text);
  if (!origin)
    return make_error("'" + text + "' is not a web origin",
                      "Give the scheme, host and optional port of the page, e.g. https://meet.example.com:8443");
  return *origin;
}

Status origins_add(CommandRequest& req, WebAdmin&) {
  auto origin = origin_argument(req.args[0]);
  if (!origin) return origin.error();
  auto current = webadmin_config(req.node.config()).websocket_origins;
  if (std::find(current.begin(), current.end(), *origin) != current.end()) {
    req.io.print("Origin " + *origin + " is already allowed");
    return ok_status();
  }
  CONVENE_TRY(update(req, [&](json& s) {
    if (!s.contains("websocket_origins") || !s["websocket_origins"].is_array()) s["websocket_origins"] = json::array();
    s["websocket_origins"].push_back(*origin);
  }));
  logger("audit")->info("who=mmp what='webadmin websocket origins add {}'", *origin);
  req.io.print("Origin " + *origin + " may open XMPP WebSockets");
  return ok_status();
}

Status origins_del(CommandRequest& req, WebAdmin&) {
  auto origin = origin_argument(req.args[0]);
  if (!origin) return origin.error();
  auto current = webadmin_config(req.node.config()).websocket_origins;
  if (std::find(current.begin(), current.end(), *origin) == current.end())
    return make_error("origin " + *origin + " is not in the list",
                      "See the list with 'webadmin websocket origins list'.");
  CONVENE_TRY(update(req, [&](json& s) {
    json kept = json::array();
    for (const auto& o : s["websocket_origins"])
      if (!(o.is_string() && o.get<std::string>() == *origin)) kept.push_back(o);
    s["websocket_origins"] = kept;
  }));
  logger("audit")->info("who=mmp what='webadmin websocket origins del {}'", *origin);
  req.io.print("Origin " + *origin + " removed; its open WebSocket sessions stay until they end");
  return ok_status();
}

Status origins_list(CommandRequest& req, WebAdmin&) {
  auto c = webadmin_config(req.node.config());
  req.io.print("Always allowed: the web admin's own origin (https:// and the host the browser used), and "
               "clients that send no Origin (not browser pages)");
  if (c.websocket_origins.empty()) req.io.print("No other origins are allowed");
  for (const auto& o : c.websocket_origins) req.io.print(o);
  return ok_status();
}

// The certificate's own line: its expiry as of now, read from the file now.
std::string certificate_line(CommandRequest& req, const WebadminConfig& c) {
  auto path = req.node.paths().existing_file(c.cert);
  if (!path) return c.cert + " (missing)";
  auto certs = pki::load_certificates(*path);
  if (!certs) return c.cert + " (unreadable: " + certs.error().message + ")";
  auto info = pki::read_certificate_info(certs->front().get());
  if (!info) return c.cert + " (unreadable: " + info.error().message + ")";
  auto now = pki::current_time();
  std::string text = c.cert + " (" + pki::validity_sentence(*info, now) + ")";
  if (pki::expires_within(*info, now, kCertificateExpiryWarningDays)) text += " WARNING: renew it soon";
  return text;
}

Status status(CommandRequest& req, WebAdmin& web) {
  WebadminConfig c = webadmin_config(req.node.config());
  auto s = web.state();
  auto line = [&](const std::string& k, const std::string& v) { req.io.print(kv(k, v)); };
  std::string state = c.enabled ? "Enabled" : "Disabled";
  if (s.listening)
    state += ", listening";
  else if (c.enabled)
    state += ", NOT LISTENING (see the node's log, or run 'webadmin enable' again to see why)";
  line("Status", state);
  if (c.iface.empty()) {
    line("Interface", "(not set: use 'webadmin listen <iface> <port>')");
  } else {
    auto address = req.node.interfaces().address(c.iface);
    line("Interface", c.iface + (address ? " (" + *address + ")" : " (unknown interface)"));
  }
  line("Port", std::to_string(c.port));
  line("Key", c.key.empty() ? "(not set: use 'webadmin certs <key> <cert> [<bundle>]')" : c.key);
  line("Certificate", c.cert.empty() ? "(not set)" : certificate_line(req, c));
  line("Bundle", c.bundle.empty() ? "none" : c.bundle);
  if (s.listening) line("URL", "https://" + s.address + ":" + std::to_string(s.port) + "/");
  std::string ws = c.websocket ? std::string("on, ") + kXmppWebSocketPath : std::string("off");
  if (c.websocket && !req.daemon.xmpp().status().running) ws += " (the XMPP service is not running: upgrades get 503)";
  line("XMPP WebSocket", ws);
  line("Origins", c.websocket_origins.empty() ? std::string("own only") : join(c.websocket_origins, " "));
  return ok_status();
}

}  // namespace

void register_webadmin_commands(CommandRegistry& r, WebAdmin* web) {
  auto add = [&](std::vector<std::string> words, std::string usage, std::string help, size_t min_args,
                 size_t max_args, Status (*fn)(CommandRequest&, WebAdmin&)) {
    r.add({std::move(words), std::move(usage), std::move(help), min_args, max_args,
           [fn, web](CommandRequest& req) -> Status {
             if (!web)
               return make_error("the web admin is not part of this process",
                                 "Run the command at a node's mmp prompt (convened serves it).");
             return fn(req, *web);
           }});
  };
  add({"webadmin", "listen"}, "<iface> <port>", "the interface and TCP port of the web admin (HTTPS)", 2, 2, listen);
  add({"webadmin", "certs"}, "<key> <cert> [<bundle>]", "the web admin's key, certificate and chain bundle", 2, 3,
      certs);
  add({"webadmin", "enable"}, "", "start the web admin (restarts it to apply changed settings)", 0, 0, enable);
  add({"webadmin", "disable"}, "", "stop the web admin", 0, 0, disable);
  add({"webadmin", "status"}, "", "show the web admin's state", 0, 0, status);
  add({"webadmin", "websocket"}, "on|off", "XMPP over WebSocket (RFC 7395) at /xmpp-websocket (on by default)", 1, 1,
      websocket);
  add({"webadmin", "websocket", "origins", "add"}, "<origin>",
      "allow browser pages of this origin (https://host[:port]) to open XMPP WebSockets", 1, 1, origins_add);
  add({"webadmin", "websocket", "origins", "del"}, "<origin>", "stop allowing an origin", 1, 1, origins_del);
  add({"webadmin", "websocket", "origins", "list"}, "", "the origins allowed besides the web admin's own", 0, 0,
      origins_list);
}

}  // namespace convene::web
