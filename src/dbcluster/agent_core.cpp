#include "dbcluster/agent_core.h"

#include "dbcluster/agent_types.h"
#include "node/node.h"
#include "node/node_id.h"
#include "tls/tls_context_source.h"

namespace convene::dbcluster {

namespace fs = std::filesystem;
using json = nlohmann::json;

std::string now_iso() {
  auto t = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  char buf[32];
  std::tm tm{};
  gmtime_r(&t, &tm);
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

AgentCore::AgentCore(Node& n) : node(n), pg(n.paths().dir()), log(logger("database")) {}

DatabaseConfig AgentCore::settings() const { return database_config(node.config()); }

Status AgentCore::update(const std::function<void(json&)>& change) {
  std::lock_guard lock(state_mutex);
  return node.config().update(kConfigSection, [&](json& s) {
    if (!s.is_object()) s = json::object();
    change(s);
    return ok_status();
  });
}

void AgentCore::record(json& s, const std::string& line, bool ok, const std::string& error) {
  s["last_command"] = line;
  s["last_ok"] = ok;
  s["last_error"] = error;
}

void AgentCore::record_result(const std::string& line, const Status& st) {
  (void)update([&](json& s) { record(s, line, st.ok(), st.ok() ? "" : st.error().message); });
  if (!st) log->error("'{}' failed: {}", line, st.error().text());
  else log->info("'{}' done", line);
}

Result<std::string> AgentCore::my_address() const {
  auto iface = settings().interface;
  if (iface.empty())
    return make_error("no database interface is set", "Set it with 'database cluster localnode <iface>' first.");
  return node.interfaces().address(iface);
}

PgSettings AgentCore::primary_settings(const std::string& me, const std::string& sync) const {
  return {me, true, sync, ""};
}

PgSettings AgentCore::standby_settings(const std::string& me, const std::string& master) const {
  return {me, true, "", primary_conninfo(master, me, pg.installed_tls())};
}

Result<pg::Rows> AgentCore::remote(const std::string& host, const std::string& sql) const {
  ConnSpec spec;
  spec.host = host;
  spec.connect_timeout_s = 2;
  return pg::query(remote_conninfo(spec, pg.installed_tls()), sql);
}

Result<std::vector<std::string>> AgentCore::read_members() {
  auto rows = pg.query(std::string("SELECT address FROM ") + kMembersTable + " ORDER BY address");
  if (!rows) return rows.error();
  std::vector<std::string> members;
  std::lock_guard lock(state_mutex);
  for (auto& r : *rows) {
    auto address = r[0].value_or("");
    // The table is written over the network: a row that is no address never
    // reaches postgresql.conf or a connection string.
    if (auto st = check_member_address(address); !st) {
      // Once per row, not every round.
      if (ignored_member_row != address)
        log->warn("database: ignoring a member row that is no address: {}", st.error().message);
      ignored_member_row = address;
      continue;
    }
    members.push_back(address);
  }
  return members;
}

std::vector<std::string> AgentCore::known_members() {
  auto members = read_members();
  std::lock_guard lock(state_mutex);
  if (!members) return last_members;
  last_members = *members;
  return *members;
}

void AgentCore::set_failover_line(std::string line) {
  std::lock_guard lock(state_mutex);
  failover_line = std::move(line);
}

fs::path AgentCore::group_dir() const { return node.paths().state() / "db-raft"; }

Status AgentCore::open_group(bool bootstrap) {
  auto me = my_address();
  if (!me) return me.error();
  auto id = node_id(node);
  if (!id) return id.error();
  auto installed = pg.installed_tls();
  auto tls = tls::TlsContextSource::open({installed.server_key, installed.server_cert, installed.ca_cert});
  if (!tls) return tls.error();
  AgentGroup::Config c{*id, *me, group_dir(), *tls, bootstrap};
  auto g = AgentGroup::start(std::move(c));
  if (!g) return g.error();
  group_tls = *tls;
  group = std::move(*g);
  {
    std::lock_guard lock(state_mutex);
    group_for_lease = group;
  }
  last_majority = AgentClock::now();
  return ok_status();
}

std::shared_ptr<AgentGroup> AgentCore::lease_group() {
  std::lock_guard lock(state_mutex);
  return group_for_lease;
}

void AgentCore::close_group() {
  {
    std::lock_guard lock(state_mutex);
    group_for_lease.reset();
  }
  lease_withheld = false;
  if (group) group->stop();
  group.reset();
  group_tls.reset();
}

Status AgentCore::erase_group_data() {
  std::error_code ec;
  fs::remove_all(group_dir(), ec);
  if (ec) return make_error("cannot remove '" + group_dir().string() + "': " + ec.message());
  return ok_status();
}

}  // namespace convene::dbcluster
