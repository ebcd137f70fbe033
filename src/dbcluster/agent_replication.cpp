// replication_state(): this node's role and lag as its own PostgreSQL reports
// them now (replication_state.h). Local socket queries only, so it costs no
// network timeout and runs on any thread without the command mutex.
#include "dbcluster/agent_replication.h"

#include "dbcluster/agent_core.h"

namespace convene::dbcluster {

namespace {

// NULL on a primary (nothing received): the LSN functions answer only on a standby.
constexpr const char* kLocalSql =
    "SELECT pg_is_in_recovery(), pg_wal_lsn_diff(pg_last_wal_receive_lsn(), pg_last_wal_replay_lsn())";
// Asked only of a primary: pg_current_wal_lsn() fails during recovery.
constexpr const char* kStandbysSql =
    "SELECT application_name, state, pg_wal_lsn_diff(pg_current_wal_lsn(), replay_lsn)::bigint, "
    "extract(epoch FROM replay_lag) FROM pg_stat_replication ORDER BY application_name";

std::string first_line(const std::string& text) { return text.substr(0, text.find('\n')); }

std::optional<std::int64_t> as_bytes(const std::optional<std::string>& v) {
  if (!v || v->empty()) return std::nullopt;
  // pg_wal_lsn_diff is numeric: "123" or "123.0"
  return static_cast<std::int64_t>(std::stod(*v));
}

ReplicationState unknown(const std::string& why) {
  ReplicationState s;
  s.role = ReplicationState::Role::unknown;
  s.why_unknown = why;
  return s;
}

}  // namespace

ReplicationState replication_state(AgentCore& core) {
  if (!core.settings().enabled) return {};
  if (!core.pg.running()) return unknown("PostgreSQL on this node is not running");
  auto local = core.pg.query(kLocalSql);
  if (!local || local->empty())
    return unknown("PostgreSQL on this node does not answer (" +
                   (local ? std::string("no answer") : first_line(local.error().message)) + ")");
  ReplicationState s;
  if (local->front()[0].value_or("") == "t") {
    s.role = ReplicationState::Role::standby;
    s.replay_backlog = as_bytes(local->front()[1]);
    return s;
  }
  s.role = ReplicationState::Role::master;
  auto rows = core.pg.query(kStandbysSql);
  if (!rows) return unknown("PostgreSQL on this node does not list its standbys (" + first_line(rows.error().message) + ")");
  for (auto& r : *rows) {
    StandbyLag l{r[0].value_or(""), r[1].value_or(""), as_bytes(r[2]), std::nullopt};
    if (r[3] && !r[3]->empty()) l.seconds = std::stod(*r[3]);
    s.standbys.push_back(std::move(l));
  }
  return s;
}

}  // namespace convene::dbcluster
