#pragma once
// This node's database role and replication lag as values, from what its own
// PostgreSQL says now (agent_replication.cpp asks it): one source for the
// `database cluster status` lines (replication_lines) and /metrics.
//   master:  pg_is_in_recovery() false; each standby's walsender from
//            pg_stat_replication: WAL bytes it has not replayed yet
//            (pg_current_wal_lsn() - replay_lsn) and its replay_lag.
//   standby: pg_is_in_recovery() true; the WAL received but not yet replayed
//            here (pg_last_wal_receive_lsn() - pg_last_wal_replay_lsn()).
//   none:    this node is not in a database cluster.
//   unknown: in a cluster, but its PostgreSQL did not answer (why_unknown says why).
// A lag PostgreSQL does not report (no WAL received yet, replay_lag null while
// the standby is idle) stays empty rather than reading as zero.
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace convene::dbcluster {

struct StandbyLag {
  std::string standby;  // its application_name: the member's address
  std::string state;    // "streaming", "catchup", ...
  std::optional<std::int64_t> bytes;
  std::optional<double> seconds;
};

struct ReplicationState {
  enum class Role { none, master, standby, unknown };
  Role role = Role::none;
  std::string why_unknown;
  std::vector<StandbyLag> standbys;            // master only
  std::optional<std::int64_t> replay_backlog;  // standby only, bytes
};

// "master", "standby", "none", "unknown" (the /metrics label values).
const char* replication_role_name(ReplicationState::Role role);

// The status lines, label and value ("Replication lag", "127.0.0.2 0 bytes, 0.000 s
// (streaming)"); none for a node not in a cluster. Pure: unit-tested.
std::vector<std::pair<std::string, std::string>> replication_lines(const ReplicationState& state);

}  // namespace convene::dbcluster
