#pragma once
// What the database agent's parts share (agent.cpp wires them): the node, the
// local PostgreSQL, the agents' group, the failover state every part touches,
// and the helpers that read and write the node config's `database` section.
//
// The parts and their threads:
//   membership.h       initialize / join / remove / certificates: admin conversation
//                      threads, and the remover thread for remove
//   failover.h         the reconciler: the worker thread, every 100 ms
//   agent_status.h     status_text(): admin conversation threads
//   callbridge_schema.h the call bridge's database, role and schema: initialize
//
// Locks (every part keeps to this):
//   command_mutex  held by every command, the remover for its whole run, the
//                  worker for one reconcile step (try_lock: a command wins) and
//                  Agent::with_database (the backups). It guards the PostgreSQL
//                  instance's control (start, stop, configure), group, group_tls,
//                  following, following_epoch, current_sync_names, last_majority
//                  and the reconciler's fields.
//   state_mutex    short; guards what status_text() reads without the command
//                  mutex (which a running join or remove holds for seconds):
//                  disabling_since, failover_line, last_members, the agent's
//                  writes of the config section (update()), and group_for_lease.
//   disabling, fenced are atomics for the same reader; lease_withheld is the
//   lease keeper's (lease_keeper.h), read by the reconciler.
#include <atomic>
#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "dbcluster/agent_group.h"
#include "dbcluster/database_config.h"
#include "dbcluster/postgres_instance.h"
#include "util/log.h"
#include "util/result.h"

namespace convene {
class Node;
}

namespace convene::dbcluster {

using AgentClock = std::chrono::steady_clock;

// The members of the cluster: rows of this table in the master's `postgres`
// database, replicated to every slave like any data (agent.h).
inline constexpr const char* kMembersTable = "convene_cluster_members";

struct AgentCore {
  explicit AgentCore(Node& node);

  Node& node;
  PostgresInstance pg;
  std::shared_ptr<spdlog::logger> log;

  std::mutex command_mutex;
  std::mutex state_mutex;

  std::atomic<bool> disabling{false};  // a remove runs (status: Disabling)
  AgentClock::time_point disabling_since{};  // state_mutex
  std::string failover_line;                 // status's "Failover" line (state_mutex)
  std::vector<std::string> last_members;     // the last members read (state_mutex)
  std::string ignored_member_row;            // the last invalid row logged (state_mutex)

  // command_mutex:
  std::string current_sync_names = "\x01";  // unknown: the reconciler writes it once
  std::shared_ptr<AgentGroup> group;  // shared with the lease keeper (lease_group())
  std::shared_ptr<tls::TlsContextSource> group_tls;
  std::string following;  // the master this node's PostgreSQL follows (or itself)
  std::uint64_t following_epoch = 0;
  AgentClock::time_point last_majority{};  // when this node last saw a majority of the group
  std::atomic<bool> fenced{false};         // a master without a majority stopped its PostgreSQL
  std::atomic<bool> lease_withheld{false};  // the lease keeper does not renew: a master without a majority
  std::shared_ptr<AgentGroup> group_for_lease;  // state_mutex: `group`, for the lease keeper

  // The agents' group for the lease keeper's thread (which never takes the
  // command mutex); null when there is none.
  std::shared_ptr<AgentGroup> lease_group();

  // --- the config section ---
  // Every read goes through the typed view (defaults in database_config.h);
  // writes change single keys, so config.json holds only what was set.
  DatabaseConfig settings() const;
  Status update(const std::function<void(nlohmann::json&)>& change);
  static void record(nlohmann::json& s, const std::string& line, bool ok, const std::string& error);
  // Records a command's outcome as the status's "Last command" and logs it.
  void record_result(const std::string& line, const Status& st);
  // This node's database address (the configured interface's).
  Result<std::string> my_address() const;

  // --- PostgreSQL ---
  PgSettings primary_settings(const std::string& me, const std::string& sync) const;
  PgSettings standby_settings(const std::string& me, const std::string& master) const;
  // One query on another member, over mutual TLS.
  Result<pg::Rows> remote(const std::string& host, const std::string& sql) const;
  // The members from the replicated members table; rows that are no address
  // (check_member_address) are left out and logged once.
  Result<std::vector<std::string>> read_members();
  // read_members(), or the last list read when the local PostgreSQL does not answer.
  std::vector<std::string> known_members();
  void set_failover_line(std::string line);

  // --- the agents' group (DIR/state/db-raft) ---
  std::filesystem::path group_dir() const;
  Status open_group(bool bootstrap);
  void close_group();
  Status erase_group_data();
};

}  // namespace convene::dbcluster
