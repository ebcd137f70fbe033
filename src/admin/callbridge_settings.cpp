#include "admin/callbridge_settings.h"

#include <arpa/inet.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>

#include "admin/callbridge_database.h"
#include "admin/daemon.h"
#include "node/node.h"
#include "util/endpoint.h"
#include "util/files.h"
#include "xmpp_core/component_handshake.h"

namespace convene {

namespace fs = std::filesystem;

CallbridgeFiles callbridge_files(const NodePaths& paths) {
  fs::path dir = paths.state() / "callbridge";
  return {dir, dir / "secret", dir / "spaces.sqlite", dir / "spaces.conninfo", dir / "status.json",
          paths.logs() / "callbridge.log"};
}

Result<std::string> parse_ip_endpoint(const std::string& text, uint16_t default_port, const std::string& what) {
  auto bad = [&](const std::string& why) {
    return make_error("invalid " + what + " '" + text + "': " + why,
                      "Give an IP address with an optional port, e.g. 192.0.2.10:" + std::to_string(default_port) +
                          " or [2001:db8::10]:" + std::to_string(default_port) + ", or 'none'.");
  };
  auto e = Endpoint::parse(text, default_port);
  if (!e) return bad(e.error().message);
  bool v6 = text.front() == '[';  // Endpoint::parse takes IPv6 only in brackets
  unsigned char buf[16];
  if (inet_pton(v6 ? AF_INET6 : AF_INET, e->host.c_str(), buf) != 1)
    return bad(v6 ? "not an IPv6 address" : "not an IPv4 address");
  return e->to_string();
}

Status check_callbridge_secret(const std::string& secret) {
  if (secret.empty()) return make_error("no secret given: nothing was changed");
  if (secret.size() > 256 ||
      std::any_of(secret.begin(), secret.end(), [](unsigned char c) { return c <= ' ' || c == 0x7f; }))
    return make_error("the secret holds spaces or control characters, or is longer than 256 characters",
                      "Copy the secret exactly as 'xmpp callbridge list' shows it on an XMPP node.");
  return xmpp::check_component_secret(secret);
}

fs::path callbridge_program() {
  std::error_code ec;
  fs::path self = fs::read_symlink("/proc/self/exe", ec);
  return (ec ? fs::path("/usr/local/bin") : self.parent_path()) / "convene-callbridge";
}

Result<ChildLaunch> callbridge_launch(const NodePaths& paths, const nlohmann::json& section,
                                      bool spaces_in_postgres) {
  return callbridge_launch_for(paths, section.get<CallbridgeConfig>(), spaces_in_postgres);
}

Result<ChildLaunch> callbridge_launch_for(const NodePaths& paths, const CallbridgeConfig& c, bool spaces_in_postgres) {
  const std::string &name = c.name, &domain = c.domain;
  if (name.empty())
    return make_error("no call bridge name", "Set it with 'callbridge name <name>' (without the domain, e.g. cb1).");
  if (domain.empty()) return make_error("no call bridge domain", "Set it with 'callbridge domain <domain>'.");
  auto files = callbridge_files(paths);
  std::error_code ec;
  if (!fs::is_regular_file(files.secret, ec))
    return make_error("no call bridge secret",
                      "Set it with 'callbridge secret' (the secret 'xmpp callbridge add " + name + "' printed).");
  fs::path program = callbridge_program();
  if (::access(program.c_str(), X_OK) != 0)
    return make_error("the call bridge program " + program.string() + " is missing or not executable",
                      "Install convene-callbridge next to convened.");
  CONVENE_TRY(make_dirs(files.dir, true));
  ChildLaunch launch;
  launch.argv = {program.string(), "--name", name, "--domain", domain,
                 "--secret-file", files.secret.string(), "--db", files.db.string(),
                 "--status-file", files.status.string()};
  if (spaces_in_postgres) launch.argv.insert(launch.argv.end(), {"--pg-conninfo-file", files.conninfo.string()});
  if (c.server) launch.argv.insert(launch.argv.end(), {"--server", *c.server});
  if (c.dns) launch.argv.insert(launch.argv.end(), {"--dns", *c.dns});
  if (c.trust) launch.argv.insert(launch.argv.end(), {"--tls-trust", (paths.files() / *c.trust).string()});
  launch.log_file = files.log;
  launch.status_file = files.status;
  return launch;
}

Status start_callbridge(Daemon& daemon) {
  auto db = spaces_database(daemon.database_if_open());
  auto launch = callbridge_launch_for(daemon.node().paths(), callbridge_config(daemon.node().config()), db.postgres);
  if (!launch) return launch.error();
  if (db.postgres) CONVENE_TRY(write_spaces_conninfo(callbridge_files(daemon.node().paths()), db.conninfo));
  CONVENE_TRY(daemon.callbridge().start(std::move(*launch)));
  daemon.set_callbridge_on_postgres(db.postgres);
  return ok_status();
}

}  // namespace convene
