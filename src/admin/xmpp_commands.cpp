// The `xmpp` command group of seed 000 (steps 3 and 5) on one node: configuration
// (domain, interfaces, certificates, options, limits), the service (enable,
// disable, status, reset), call bridges and users. The `xmpp cluster ...` commands
// belong to the cluster.
//
// Configuration goes to the node's "xmpp" section (xmpp_settings.h says the keys);
// call bridges and users go through the XMPP store (store.h), whose writes are
// durable before they are acknowledged. Every handler checks all of its input
// before changing anything, so a refused command changes nothing. Secrets and
// passwords are prompted, never arguments (arguments are logged).

#include <algorithm>
#include <future>
#include <set>
#include <thread>

#include "admin/callbridge_holder.h"
#include "admin/callbridge_settings.h"
#include "admin/certificate_arguments.h"
#include "admin/command_registry.h"
#include "admin/xmpp_live_tls.h"
#include "admin/xmpp_settings.h"
#include "node/node.h"
#include "pki/certificate_info.h"
#include "pki/key.h"
#include "pki/pem.h"
#include "pki/verify.h"
#include "util/files.h"
#include "util/random.h"
#include "util/strings.h"
#include "util/thread_name.h"
#include "xmpp/store_commands.h"
#include "xmpp/xmpp_state.h"
#include "xmpp_core/jid.h"
#include "xmpp_core/scram.h"

namespace convene {

using nlohmann::json;

namespace {

// "Callbridge         : cb1": the seed's (CMS's) aligned key/value lines.
std::string kv(const std::string& key, const std::string& value, size_t width = 19) {
  return key_value_line(key, value, width);
}

XmppConfig configured(CommandRequest& req) { return xmpp_config(req.node.config()); }

std::string configured_domain(CommandRequest& req) { return configured(req).domain; }

// Writes keys of the "xmpp" section; says when the running service will only
// see them at its next start.
Status set_config(CommandRequest& req, const std::function<void(json&)>& change) {
  CONVENE_TRY(req.node.config().update("xmpp", [&](json& section) {
    if (!section.is_object()) section = json::object();
    change(section);
    return ok_status();
  }));
  if (req.daemon.xmpp().status().running)
    req.io.print("The XMPP server is running: the change takes effect at the next 'xmpp enable'.");
  return ok_status();
}

Result<bool> on_off(const std::string& word, const std::string& command) {
  if (word == "on") return true;
  if (word == "off") return false;
  return make_error("'" + word + "' is neither 'on' nor 'off'", "Usage: " + command + " on|off");
}

// ---- configuration ---------------------------------------------------------------

Status domain(CommandRequest& req) {
  auto prepared = xmpp::prepare_domainpart(req.args[0]);
  if (!prepared)
    return make_error("invalid XMPP domain '" + req.args[0] + "': " + prepared.error().message,
                      "Give the DNS domain of your users' addresses, e.g. 'xmpp domain tptac9.com'.");
  return set_config(req, [&](json& s) { s["domain"] = *prepared; });
}

Status listen(CommandRequest& req) {
  std::vector<std::string> names;
  for (auto& name : req.args) {
    CONVENE_TRY(req.node.interfaces().address(name));
    if (std::find(names.begin(), names.end(), name) == names.end()) names.push_back(name);
  }
  return set_config(req, [&](json& s) { s["listen"] = names; });
}

Status certs(CommandRequest& req) {
  auto checked = check_certificate_arguments(req, "xmpp certs");
  if (!checked) return checked.error();
  // In a cluster, the peers must accept it (xmpp_live_tls.h): checked before any change.
  CONVENE_TRY(check_certificate_for_cluster(req.daemon, checked->key, checked->cert, req.args[1]));
  CONVENE_TRY(req.node.config().update("xmpp", [&](json& s) {
    if (!s.is_object()) s = json::object();
    s["key"] = req.args[0];
    s["cert"] = req.args[1];
    if (checked->bundle_name.empty())
      s.erase("bundle");
    else
      s["bundle"] = checked->bundle_name;
    return ok_status();
  }));
  warn_of_expiring_certificates(req, *checked);
  // Live: the running listeners and the cluster port take it now, no restart.
  auto applied = apply_xmpp_tls(req.daemon);
  if (!applied) return applied.error();
  for (auto& line : *applied) req.io.print(line);
  return ok_status();
}

Status plaintext(CommandRequest& req) {
  auto on = on_off(req.args[0], "xmpp plaintext");
  if (!on) return on.error();
  CONVENE_TRY(set_config(req, [&](json& s) { s["plaintext"] = *on; }));
  if (*on)
    req.io.print("WARNING: unencrypted client connections are allowed: passwords and messages can cross the "
                 "network in clear text. Use it only for labs and benchmarks.");
  return ok_status();
}

Status registration(CommandRequest& req) {
  auto on = on_off(req.args[0], "xmpp registration");
  if (!on) return on.error();
  return set_config(req, [&](json& s) { s["registration"] = *on; });
}

Status limit(CommandRequest& req) {
  const auto* spec = find_xmpp_limit(req.args[0]);
  if (!spec) {
    std::vector<std::string> names;
    for (auto& s : xmpp_limit_specs()) names.push_back(s.name);
    return make_error("unknown XMPP limit '" + req.args[0] + "'", "The limits are: " + join(names, ", ") + ".");
  }
  const std::string& text = req.args[1];
  unsigned long value = 0;
  bool digits = !text.empty() && text.size() <= 12 && std::all_of(text.begin(), text.end(), ::isdigit);
  if (digits) value = std::stoul(text);
  if (!digits || value < spec->min || value > spec->max)
    return make_error("bad value '" + text + "' for " + spec->name,
                      "Give a whole number of " + std::string(spec->unit) + " from " + std::to_string(spec->min) +
                          " to " + std::to_string(spec->max) + ".");
  return set_config(req, [&](json& s) { s["limits"][spec->name] = value; });
}

// ---- service -----------------------------------------------------------------------

Status enable(CommandRequest& req) {
  CONVENE_TRY(start_xmpp_service(req.daemon));
  // The service was restarted with the configured files; the cluster port takes them too.
  if (req.daemon.cluster_store())
    if (auto applied = apply_xmpp_tls(req.daemon); !applied) return applied.error();
  CONVENE_TRY(req.node.config().update("xmpp", [](json& s) {
    if (!s.is_object()) s = json::object();
    s["enabled"] = true;
    return ok_status();
  }));
  auto status = req.daemon.xmpp().status();
  req.io.print("XMPP server enabled" +
               (status.listening.empty() ? std::string() : ", listening on " + join(status.listening, ", ")));
  return ok_status();
}

Status disable(CommandRequest& req) {
  req.daemon.xmpp().stop();
  remember_xmpp_start(req.node, ok_status());
  return req.node.config().update("xmpp", [](json& s) {
    if (!s.is_object()) s = json::object();
    s["enabled"] = false;
    return ok_status();
  });
}

// "(expired)", "(expires in 12 days)", "(missing)" or nothing, for one file.
std::string certificate_note(CommandRequest& req, const std::string& name) {
  auto path = req.node.paths().existing_file(name);
  if (!path) return " (missing)";
  auto certs = pki::load_certificates(*path);
  if (!certs) return " (not a certificate)";
  auto now = pki::current_time();
  std::optional<pki::CertificateInfo> soonest;  // the bundle is as good as its first expiry
  for (auto& c : *certs)
    if (auto info = pki::read_certificate_info(c.get()); info && (!soonest || info->not_after < soonest->not_after))
      soonest = *info;
  if (!soonest) return "";
  if (pki::validity_at(*soonest, now) == pki::Validity::kExpired) return " (expired)";
  if (pki::expires_within(*soonest, now, kCertificateExpiryWarningDays))
    return " (expires in " + pki::days_phrase(pki::days_left(*soonest, now)) + ")";
  return "";
}

Status status(CommandRequest& req) {
  XmppConfig c = configured(req);
  auto service = req.daemon.xmpp().status();
  bool enabled = c.enabled;
  auto failure = last_xmpp_start_error(req.node);
  auto line = [&](const std::string& key, const std::string& value) { req.io.print(kv(key, value, 21)); };

  std::string state = enabled ? "Enabled" : "Disabled";
  if (service.running)
    state += ", running";
  else if (enabled)
    state += ", NOT RUNNING: " + (failure ? failure->message : std::string("not started"));
  line("Status", state);
  line("Domain", c.domain.empty() ? "(not set)" : c.domain);  // `xmpp domain` never sets an empty one
  if (service.running) {
    line("Listening", join(service.listening, ", "));
  } else {
    std::vector<std::string> ifaces;
    for (auto& name : c.listen) {
      auto address = req.node.interfaces().address(name);
      ifaces.push_back(name + " (" + (address ? *address : "unknown interface") + ")");
    }
    line("Listening", ifaces.empty() ? "(no interfaces set)" : "no; interfaces " + join(ifaces, ", "));
  }
  const std::string &key = c.key, &cert = c.cert, &bundle = c.bundle;
  line("Key file", key.empty() ? "(not set)" : key + (req.node.paths().existing_file(key) ? "" : " (missing)"));
  line("Certificate file", cert.empty() ? "(not set)" : cert + certificate_note(req, cert));
  line("CA bundle file", bundle.empty() ? "none" : bundle + certificate_note(req, bundle));
  line("Plaintext clients", c.plaintext
                                ? "allowed (INSECURE: passwords and messages may cross the network unencrypted)"
                                : "not allowed");
  line("In-band registration", c.registration ? "allowed" : "not allowed");
  line("Client sessions", std::to_string(service.client_sessions));
  line("Components connected", std::to_string(service.components.size()));
  for (auto& c : service.components) req.io.print("  " + c);
  if (req.daemon.cluster_store()) {
    line("Sessions on other nodes", std::to_string(service.cluster_sessions));
    line("Components on other nodes", std::to_string(service.cluster_components.size()));
    for (auto& c : service.cluster_components) req.io.print("  " + c);
    line("Stanzas forwarded", std::to_string(service.forwarded) + " (resent " + std::to_string(service.resent) +
                                  ", unconfirmed " + std::to_string(service.unconfirmed) + ")");
    line("Stanzas sent straight to their node", std::to_string(service.forwarded_straight));
    line("Stanzas passed on as leader", std::to_string(service.passed_on));
    line("Stanzas delivered for other nodes", std::to_string(service.delivered_for_others) + " (repeats dropped " +
                                                  std::to_string(service.duplicates) + ")");
  }
  line("Call bridges", std::to_string(req.daemon.store().callbridges().size()));
  line("Users", std::to_string(req.daemon.store().users().size()));
  xmpp::Limits limits = configured_xmpp_limits(c);
  std::vector<std::string> shown;
  for (auto& spec : xmpp_limit_specs()) shown.push_back(std::string(spec.name) + "=" + std::to_string(spec.get(limits)));
  line("Limits", join(shown, " "));
  if (enabled && !service.running && failure && !failure->hint.empty()) req.io.print(failure->hint);
  return ok_status();
}

Status reset(CommandRequest& req) {
  CONVENE_TRY(confirm_or_cancel(
      req.io,
      "WARNING!!!\n"
      "Are you sure you wish to reset the XMPP server on this node? (Y/n)\n"
      "The XMPP server will stop. Its configuration (domain, interfaces, certificates) and its data\n"
      "(call bridges and their secrets, users, rosters, offline messages) will be erased."));
  req.daemon.xmpp().stop();
  remember_xmpp_start(req.node, ok_status());
  // A cluster member stops being one here (without leaving: the seed resets nodes
  // still in the cluster; joining again replaces its entry, its id being kept):
  // the reset below must erase this node's data, never the cluster's.
  req.daemon.detach_cluster();
  std::error_code ec;
  std::filesystem::remove_all(req.node.paths().state() / "xmpp-raft", ec);
  CONVENE_TRY(req.node.config().update("xmpp", [](json& s) {
    s = json::object();
    return ok_status();
  }));
  CONVENE_TRY(req.daemon.store().submit_and_wait(xmpp::cmd::reset()));
  req.io.print("XMPP server reset");
  return ok_status();
}

// ---- call bridges ----------------------------------------------------------------

// 20 characters from [A-Za-z0-9] (about 119 bits), in the shape of CMS's secrets
// ("kvgP1SRzWVabhiPVAb1"): easy to copy between terminals, nothing to escape.
Result<std::string> random_secret() {
  return random_id(20);
}

std::string shown_domain(CommandRequest& req) {
  std::string d = configured_domain(req);
  return d.empty() ? "(not set: use 'xmpp domain <domain>')" : d;
}

Status callbridge_add(CommandRequest& req) {
  auto name = xmpp::prepare_callbridge_name(req.args[0]);
  if (!name) return name.error();
  if (req.daemon.store().callbridge(*name))
    return make_error("call bridge '" + *name + "' already exists",
                      "Each call bridge needs a unique name. See them with 'xmpp callbridge list'.");
  auto secret = random_secret();
  if (!secret) return secret.error();
  CONVENE_TRY(req.daemon.store().submit_and_wait(xmpp::cmd::callbridge_set(*name, *secret, false)));
  req.io.print(kv("Success", "true"));
  req.io.print(kv("Callbridge", *name));
  req.io.print(kv("Domain", shown_domain(req)));
  req.io.print(kv("Secret", *secret));
  return ok_status();
}

Status callbridge_add_secret(CommandRequest& req) {
  auto name = xmpp::prepare_callbridge_name(req.args[0]);
  if (!name) return name.error();
  auto secret = req.io.prompt_secret("Enter callbridge secret");
  if (!secret || secret->empty()) return make_error("no secret given: nothing was changed");
  CONVENE_TRY(check_callbridge_secret(*secret));
  auto existing = req.daemon.store().callbridge(*name);
  if (existing && existing->secret != *secret)
    return make_error("call bridge '" + *name + "' already exists here with a different secret",
                      "Compare 'xmpp callbridge list' on the node where it was made. To replace it here, remove it\n"
                      "first with 'xmpp callbridge del " + *name + "', then run 'xmpp callbridge add-secret " +
                          *name + "' again.");
  if (!existing)
    CONVENE_TRY(req.daemon.store().submit_and_wait(xmpp::cmd::callbridge_set(*name, *secret, false)));
  req.io.print(kv("Success", "true"));
  req.io.print(kv("Callbridge", *name));
  req.io.print(kv("Domain", shown_domain(req)));
  return ok_status();
}

Status callbridge_list(CommandRequest& req) {
  auto all = req.daemon.store().callbridges();
  if (all.empty()) {
    req.io.print("No call bridges. Add one with 'xmpp callbridge add <name>'.");
    return ok_status();
  }
  std::string domain = shown_domain(req);
  for (size_t i = 0; i < all.size(); ++i) {
    if (i > 0) req.io.print("");
    req.io.print(kv("Callbridge", all[i].name));
    req.io.print(kv("Domain", domain));
    req.io.print(kv("Secret", all[i].secret));
    // After the seed's three lines: who serves the name now, and this node's standby.
    req.io.print(kv("Held by", describe_holder(req.daemon, all[i].name, configured_domain(req))));
    req.io.print(kv("Standby here", describe_standby(req.daemon, all[i].name)));
  }
  return ok_status();
}

Status callbridge_del(CommandRequest& req) {
  auto name = xmpp::prepare_callbridge_name(req.args[0]);
  if (!name) return name.error();
  return req.daemon.store().submit_and_wait(xmpp::cmd::callbridge_del(*name));
}

// ---- users -------------------------------------------------------------------------

Result<std::string> user_name(const std::string& text) {
  auto user = xmpp::prepare_localpart(text);
  if (!user)
    return make_error("invalid user name '" + text + "': " + user.error().message,
                      "Give the part before the '@' of the user's address, e.g. 'alice'.");
  return user;
}

// Both SCRAM credentials of a password; the password itself is never stored.
using UserCommand = xmpp::StoreCommand (*)(std::string_view, const xmpp::ScramCredentials&, const xmpp::ScramCredentials&);

Result<json> user_command(UserCommand build, const std::string& user, const std::string& password) {
  auto sha1 = xmpp::make_credentials(xmpp::ScramHash::sha1, password);
  if (!sha1) return sha1.error();
  auto sha256 = xmpp::make_credentials(xmpp::ScramHash::sha256, password);
  if (!sha256) return sha256.error();
  return build(user, *sha1, *sha256);
}

Result<std::string> prompt_password(CommandRequest& req) {
  auto password = req.io.prompt_secret("Enter password");
  if (!password || password->empty()) return make_error("no password given: nothing was changed");
  return *password;
}

std::string user_address(CommandRequest& req, const std::string& user) {
  std::string d = configured_domain(req);
  return d.empty() ? user : user + "@" + d;
}

Status user_add(CommandRequest& req) {
  auto user = user_name(req.args[0]);
  if (!user) return user.error();
  if (req.daemon.store().user_exists(*user))
    return make_error("user '" + *user + "' already exists",
                      "Change its password with 'xmpp user passwd " + *user + "'.");
  auto password = prompt_password(req);
  if (!password) return password.error();
  auto command = user_command(xmpp::cmd::user_add, *user, *password);
  if (!command) return command.error();
  CONVENE_TRY(req.daemon.store().submit_and_wait(std::move(*command)));
  req.io.print("User " + user_address(req, *user) + " added");
  return ok_status();
}

Status user_passwd(CommandRequest& req) {
  auto user = user_name(req.args[0]);
  if (!user) return user.error();
  if (!req.daemon.store().user_exists(*user))
    return make_error("no user '" + *user + "'", "Add it with 'xmpp user add " + *user + "'.");
  auto password = prompt_password(req);
  if (!password) return password.error();
  auto command = user_command(xmpp::cmd::user_passwd, *user, *password);
  if (!command) return command.error();
  CONVENE_TRY(req.daemon.store().submit_and_wait(std::move(*command)));
  req.io.print("Password of " + user_address(req, *user) + " changed");
  return ok_status();
}

Status user_del(CommandRequest& req) {
  auto user = user_name(req.args[0]);
  if (!user) return user.error();
  return req.daemon.store().submit_and_wait(xmpp::cmd::user_del(*user));
}

Status user_list(CommandRequest& req) {
  auto users = req.daemon.store().users();
  if (users.empty()) req.io.print("No users. Add one with 'xmpp user add <user>'.");
  for (auto& u : users) req.io.print(user_address(req, u));
  return ok_status();
}

struct ImportLine {
  size_t number;
  std::string user, password;
};

// Every line checked before anything is written: all bad lines are reported at once.
Result<std::vector<ImportLine>> parse_user_file(CommandRequest& req, const std::string& file, const std::string& text) {
  std::vector<ImportLine> lines;
  std::vector<std::string> problems;
  std::set<std::string> seen;
  size_t number = 0;
  for (auto& raw : split(text, '\n')) {
    ++number;
    std::string line = raw;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    std::string trimmed = trim(line);
    if (trimmed.empty() || trimmed[0] == '#') continue;
    auto colon = line.find(':');
    auto bad = [&](const std::string& why) { problems.push_back("line " + std::to_string(number) + ": " + why); };
    if (colon == std::string::npos) {
      bad("expected 'user:password'");
      continue;
    }
    std::string name = trim(line.substr(0, colon)), password = line.substr(colon + 1);
    auto user = xmpp::prepare_localpart(name);
    if (!user) {
      bad("invalid user name '" + name + "': " + user.error().message);
      continue;
    }
    if (password.empty()) bad("user '" + *user + "' has an empty password");
    else if (!seen.insert(*user).second) bad("user '" + *user + "' appears twice");
    else if (req.daemon.store().user_exists(*user)) bad("user '" + *user + "' already exists");
    else lines.push_back({number, *user, password});
  }
  if (!problems.empty()) {
    size_t shown = std::min<size_t>(problems.size(), 20);
    std::string hint = join(std::vector<std::string>(problems.begin(), problems.begin() + long(shown)), "\n");
    if (shown < problems.size()) hint += "\n... and " + std::to_string(problems.size() - shown) + " more";
    return make_error(std::to_string(problems.size()) + " bad line" + (problems.size() == 1 ? "" : "s") + " in '" +
                          file + "': nothing was imported",
                      hint + "\nFix the file (lines 'user:password', '#' for comments) and import it again.");
  }
  if (lines.empty()) return make_error("'" + file + "' holds no users", "Lines are 'user:password'.");
  return lines;
}

Status user_import(CommandRequest& req) {
  auto path = req.node.paths().existing_file(req.args[0]);
  if (!path) return path.error();
  auto text = read_file(*path);
  if (!text) return text.error();
  auto lines = parse_user_file(req, req.args[0], *text);
  if (!lines) return lines.error();

  // PBKDF2 (4096 rounds, two hashes) costs milliseconds per user: spread it over
  // the cores, each thread deriving every n-th user.
  size_t count = lines->size();
  std::vector<Result<json>> commands(count, Result<json>(make_error("not derived")));
  size_t threads = std::clamp<size_t>(std::thread::hardware_concurrency(), 1, 16);
  threads = std::min(threads, count);
  if (count > 100) req.io.print("Deriving SCRAM credentials for " + std::to_string(count) + " users...");
  std::vector<std::thread> workers;
  for (size_t t = 0; t < threads; ++t)
    workers.emplace_back([&, t] {
      set_thread_name("user-import");
      for (size_t i = t; i < count; i += threads)
        commands[i] = user_command(xmpp::cmd::user_add, (*lines)[i].user, (*lines)[i].password);
    });
  for (auto& w : workers) w.join();
  for (size_t i = 0; i < count; ++i)
    if (!commands[i]) return make_error("line " + std::to_string((*lines)[i].number) + ": " +
                                        commands[i].error().message + ": nothing was imported");

  // Submitted together, they are written with few fsyncs (the store commits in
  // groups) and applied in file order.
  std::vector<std::future<Status>> outcomes;
  for (auto& c : commands) {
    auto promise = std::make_shared<std::promise<Status>>();
    outcomes.push_back(promise->get_future());
    req.daemon.store().submit(std::move(*c), [promise](Status st) { promise->set_value(std::move(st)); });
  }
  size_t imported = 0;
  std::optional<std::string> first_failure;
  for (size_t i = 0; i < count; ++i) {
    Status st = outcomes[i].get();
    if (st)
      ++imported;
    else if (!first_failure)
      first_failure = "line " + std::to_string((*lines)[i].number) + ": " + st.error().message;
  }
  if (first_failure)  // only when something changed under us (another admin, a full disk)
    return make_error("imported " + std::to_string(imported) + " of " + std::to_string(count) + " users; " +
                          *first_failure,
                      "See the users with 'xmpp user list'.");
  req.io.print("Imported " + std::to_string(imported) + " user" + (imported == 1 ? "" : "s") + " from " + req.args[0]);
  return ok_status();
}

}  // namespace

void register_xmpp_commands(CommandRegistry& r) {
  auto add = [&](std::vector<std::string> words, std::string usage, std::string help, size_t min_args,
                 size_t max_args, CommandHandler handler) {
    r.add({std::move(words), std::move(usage), std::move(help), min_args, max_args, std::move(handler)});
  };
  add({"xmpp", "domain"}, "<domain>", "set the XMPP domain", 1, 1, domain);
  add({"xmpp", "listen"}, "<iface> [<iface>...]", "interfaces the XMPP server listens on", 1, kAnyNumber, listen);
  add({"xmpp", "certs"}, "<key> <cert> [<bundle>]", "the XMPP server's key, certificate and CA bundle", 2, 3, certs);
  add({"xmpp", "enable"}, "", "start the XMPP server (restarts it to apply changed settings)", 0, 0, enable);
  add({"xmpp", "disable"}, "", "stop the XMPP server", 0, 0, disable);
  add({"xmpp", "status"}, "", "show the XMPP server's state", 0, 0, status);
  add({"xmpp", "reset"}, "", "erase the XMPP configuration and data (asks first)", 0, 0, reset);
  add({"xmpp", "plaintext"}, "on|off", "allow unencrypted client connections (insecure; labs and benchmarks)", 1, 1,
      plaintext);
  add({"xmpp", "registration"}, "on|off", "allow in-band registration of new users (XEP-0077)", 1, 1, registration);
  add({"xmpp", "limit"}, "<name> <value>",
      "set a limit: max-stanza-bytes, max-depth, auth-timeout, idle-timeout, read-rate, max-connections-per-address",
      2, 2, limit);
  add({"xmpp", "callbridge", "add"}, "<name>", "register a call bridge; prints its new secret", 1, 1, callbridge_add);
  add({"xmpp", "callbridge", "add-secret"}, "<name>", "register a call bridge with a secret you type", 1, 1,
      callbridge_add_secret);
  add({"xmpp", "callbridge", "del"}, "<name>", "remove a call bridge", 1, 1, callbridge_del);
  add({"xmpp", "callbridge", "list"}, "", "list call bridges with domain and secret", 0, 0, callbridge_list);
  add({"xmpp", "user", "add"}, "<user>", "add a user (asks for the password)", 1, 1, user_add);
  add({"xmpp", "user", "passwd"}, "<user>", "change a user's password (asks for it)", 1, 1, user_passwd);
  add({"xmpp", "user", "del"}, "<user>", "remove a user with its roster and offline messages", 1, 1, user_del);
  add({"xmpp", "user", "list"}, "", "list the users", 0, 0, user_list);
  add({"xmpp", "user", "import"}, "<file>", "add the users of a file of 'user:password' lines (all or none)", 1, 1,
      user_import);
}

}  // namespace convene
