#pragma once
// The database agent of one node: the state machine behind the `database cluster`
// and `backup` commands (Disabled -> Enabled -> Disabling -> Disabled), the local
// PostgreSQL 15 instance, and the cluster membership.
//
// Membership and the master: the cluster's members are rows of the table
// convene_cluster_members in the master's `postgres` database, replicated to every
// slave like any data (so every node knows the members, and a slave's copy is
// never ahead of the master). A joining node inserts itself over mutual TLS; the
// master's agent keeps synchronous_standby_names = ANY 1 (<other members>), so with
// at least one slave a commit is on two nodes before it is acknowledged; a slave
// that is a member but down keeps the master waiting rather than silently
// degrading to asynchronous (no acknowledged row can be lost by promoting a slave).
//
// Failover: who the master is is not configuration but the record the agents
// agree on through their own raft group (agent_group.h); the worker thread brings
// this node's PostgreSQL in line with it every 100 ms, and on the group's leader
// promotes the most advanced standby when the master is lost (failover.h).
//
// The parts (agent_core.h says which lock guards what):
//   membership.h        the command steps: localnode, certs, initialize, join, remove
//   failover.h          the reconciler, on the worker thread
//   agent_status.h      the status text
//   agent_replication.h this node's role and replication lag
//   callbridge_schema.h the call bridge's database, role, schema and connection string
// Backups of the node (snapshot, rollback) are the backup library's
// (backup/node_backup.h), which runs its database steps through with_database().
//
// Owned by the Daemon (one per convened). Threads: admin conversation threads call
// the public methods; commands are serialized by the command mutex, which
// status_text() and application_conninfo() do not wait for. The worker thread
// reconciles every 100 ms under the same mutex (skipping a round while a command
// holds it). The remover thread runs a started remove under it.
#include <functional>
#include <memory>
#include <string>

#include "dbcluster/agent_types.h"
#include "dbcluster/replication_state.h"
#include "util/result.h"

namespace convene {
class Node;
}

namespace convene::dbcluster {

class PostgresInstance;

class Agent {
 public:
  virtual ~Agent() = default;

  virtual Status set_localnode(const std::string& iface, const std::string& line) = 0;
  // Validates the five files of the file area; stores them; on a running cluster
  // installs them by rename, reloads PostgreSQL and makes the peers reconnect.
  // `say` prints progress lines.
  virtual Status set_certs(const CertNames& names, const std::string& line,
                           const std::function<void(const std::string&)>& say) = 0;
  // Checks made before the (Y/n) question, so a refusal comes before it.
  virtual Status check_initialize() = 0;
  virtual Status check_join(const std::string& master) = 0;
  virtual bool in_cluster() const = 0;
  virtual Status initialize(const std::string& line) = 0;
  virtual Status join(const std::string& master, const std::string& line) = 0;
  // Starts leaving the cluster in the background (status shows Disabling).
  virtual Status start_remove(const std::string& line) = 0;
  virtual std::string status_text() = 0;
  // This node's database role and replication lag now (replication_state.h), the
  // values status_text() renders and /metrics exports. Does not wait for a command.
  virtual ReplicationState replication_state() = 0;

  // The libpq connection string of the application database for the call bridge's
  // spaces (replication.h: application_conninfo): every member, the master first,
  // target_session_attrs=read-write, role `callbridge` by this node's client
  // certificate. An error when this node is not in a database cluster. Does not
  // wait for a running command (safe to call while join or remove runs).
  virtual Result<std::string> application_conninfo() = 0;

  // The members and the master as this node sees them now (not a file written
  // earlier): the members table, the agents' record when this node reaches a
  // majority of them (otherwise the master is unknown, and says why). An error
  // when this node is not in a database cluster. Does not wait for a command.
  virtual Result<ClusterView> cluster_view() = 0;

  // Runs `work` with this node's PostgreSQL while no command, remove or failover
  // round runs (under the command mutex): the backup library's snapshot and
  // rollback (backup/node_backup.h).
  virtual Status with_database(const std::function<Status(PostgresInstance&)>& work) = 0;

  // Stops the background thread and PostgreSQL (SIGTERM of the daemon).
  virtual void stop() = 0;
};

// Opens the agent: starts the local PostgreSQL if this node has one.
Result<std::unique_ptr<Agent>> open_agent(Node& node);

}  // namespace convene::dbcluster
