#include "admin/callbridge_standbys.h"

#include "admin/callbridge_database.h"
#include "admin/callbridge_settings.h"
#include "admin/daemon.h"
#include "admin/xmpp_settings.h"
#include "util/endpoint.h"
#include "util/files.h"
#include "util/log.h"

namespace convene {

namespace fs = std::filesystem;

namespace {
// What this node should run: name → (argv, secret). Empty when it is not an
// XMPP cluster member with its service running.
std::map<std::string, std::pair<std::vector<std::string>, std::string>> wanted(Daemon& daemon) {
  std::map<std::string, std::pair<std::vector<std::string>, std::string>> out;
  if (!daemon.cluster_store() || !daemon.xmpp().status().running) return out;
  auto settings = xmpp_settings(daemon.node());
  if (!settings) return out;
  // The component port's first address (by default the cluster interface's).
  auto& hosts = settings->component_addresses.empty() ? settings->addresses : settings->component_addresses;
  if (hosts.empty()) return out;
  auto own = callbridge_config(daemon.node().config());
  auto db = spaces_database(daemon.database_if_open());
  fs::path program = callbridge_program();
  auto paths = daemon.node().paths();
  std::string server = Endpoint{hosts.front(), settings->component_port}.to_string();
  for (auto& cb : daemon.store().callbridges()) {
    if (own.enabled && own.name == cb.name) continue;  // served here by the node's own call bridge
    fs::path dir = paths.state() / "callbridge" / "standby" / cb.name;
    std::vector<std::string> argv = {program.string(), "--standby",     "--name",        cb.name,
                                     "--domain",       settings->domain, "--server",      server,
                                     "--secret-file",  (dir / "secret").string(), "--db", (dir / "spaces.sqlite").string(),
                                     "--status-file",  (dir / "status.json").string()};
    // STARTTLS against this node's own certificate (see the header for why).
    if (!settings->cert_file.empty())
      argv.insert(argv.end(), {"--tls-trust", settings->cert_file});
    if (db.postgres) {
      CallbridgeFiles files{dir, dir / "secret", dir / "spaces.sqlite", dir / "spaces.conninfo", dir / "status.json", {}};
      if (write_spaces_conninfo(files, db.conninfo))
        argv.insert(argv.end(), {"--pg-conninfo-file", files.conninfo.string()});
    }
    out[cb.name] = {std::move(argv), cb.secret};
  }
  return out;
}
}  // namespace

void CallbridgeStandbys::follow(Daemon& daemon) {
  auto log = logger("callbridge");
  auto want = wanted(daemon);
  // running_ changes only on this thread: reading it here needs no lock; changing
  // its shape takes mu_ (views() reads it from status threads).
  for (auto it = running_.begin(); it != running_.end();) {
    auto w = want.find(it->first);
    if (w != want.end() && w->second.first == it->second.argv && w->second.second == it->second.secret) {
      ++it;
      continue;
    }
    log->info("standby call bridge '{}' stopped ({})", it->first, w == want.end() ? "not wanted here now" : "settings changed");
    auto supervisor = it->second.supervisor;
    {
      std::lock_guard lock(mu_);
      it = running_.erase(it);
    }
    supervisor->stop();
  }
  for (auto& [name, what] : want) {
    if (running_.count(name)) continue;
    fs::path dir = daemon.node().paths().state() / "callbridge" / "standby" / name;
    if (auto st = make_dirs(dir, true); !st) {
      log->error("standby call bridge '{}': {}", name, st.error().text());
      continue;
    }
    if (auto st = write_file_atomic(dir / "secret", what.second + "\n", 0600); !st) {
      log->error("standby call bridge '{}': {}", name, st.error().text());
      continue;
    }
    Standby s{what.first, what.second, std::make_shared<CallbridgeSupervisor>()};
    ChildLaunch launch{what.first, daemon.node().paths().logs() / ("callbridge-standby-" + name + ".log"),
                       dir / "status.json"};
    if (auto st = s.supervisor->start(std::move(launch)); !st) {
      log->error("standby call bridge '{}' cannot start: {}", name, st.error().text());
      continue;
    }
    log->info("standby call bridge '{}' started: it takes the name over if the node serving it dies", name);
    std::lock_guard lock(mu_);
    running_.emplace(name, std::move(s));
  }
}

void CallbridgeStandbys::stop() {
  std::map<std::string, Standby> running;
  {
    std::lock_guard lock(mu_);
    running.swap(running_);
  }
  for (auto& [name, s] : running) s.supervisor->stop();
}

std::vector<CallbridgeStandbys::View> CallbridgeStandbys::views() const {
  std::vector<std::pair<std::string, Standby>> copy;
  {
    std::lock_guard lock(mu_);
    for (auto& [name, s] : running_) copy.emplace_back(name, s);
  }
  std::vector<View> out;
  for (auto& [name, s] : copy) {
    View v{name, s.supervisor->state(), {}, false};
    for (size_t i = 0; i + 1 < s.argv.size(); ++i) {
      if (s.argv[i] == "--status-file") v.status_file = s.argv[i + 1];
      if (s.argv[i] == "--tls-trust") v.tls = true;
    }
    out.push_back(std::move(v));
  }
  return out;
}

}  // namespace convene
