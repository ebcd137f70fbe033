#pragma once
// The failover reconciler: brings this node's PostgreSQL in line with the master
// record the agents agree on (agent_group.h), and keeps the master's synchronous
// standby list in step with the members.
//
// Every 100 ms each agent reports its PostgreSQL to the group's leader and
// brings its PostgreSQL in line with the agreed record: the master runs a
// primary (promoting its standby when it was just chosen), every other node a
// standby of the master (rewound first when it was a primary). The leader also
// watches the master and, when it has been silent for kMasterSilence, promotes
// the most advanced standby (master_choice.h). A master that does not reach a
// majority (in_majority over kMajorityWindow) stops its PostgreSQL (fencing): it
// could not commit anyway (synchronous replication), and its clients learn at
// once to look for the new master. The lease keeper (lease_keeper.h) decides
// that on its own thread and stops renewing the PostgreSQL guard's lease, so the
// fence holds even while this reconciler is busy, stalled or dead.
//
// Thread-safety: step() runs on the agent's worker thread with the command mutex
// held (agent_core.h); the fields here are the worker's alone.
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

#include "cluster/consensus.h"
#include "dbcluster/agent_core.h"
#include "dbcluster/master_record.h"

namespace convene::dbcluster {

class FailoverReconciler {
 public:
  static constexpr auto kPeriod = std::chrono::milliseconds(100);
  static constexpr auto kMajorityWindow = std::chrono::milliseconds(1000);
  static constexpr auto kMasterSilence = std::chrono::milliseconds(2000);
  static constexpr auto kReportWait = std::chrono::milliseconds(1000);
  static constexpr auto kRejoinRetry = std::chrono::seconds(2);

  explicit FailoverReconciler(AgentCore& core) : core_(core) {}

  // One round (nothing while this node is not in a cluster or is leaving it).
  void step();

 private:
  void act_as_master(const MasterView& view, const std::string& me, bool running, bool standby);
  void act_as_standby(const MasterView& view, const std::string& me, bool running, bool standby,
                      AgentClock::time_point now);
  void watch_master(const MasterView& view, const cluster::ConsensusStatus& st, AgentClock::time_point now);
  // The master keeps synchronous_standby_names in step with the members.
  void keep_sync_names(const std::string& me);
  Status checkpoint();

  AgentCore& core_;
  AgentClock::time_point last_hello_{}, leading_since_{}, last_rejoin_{};
  bool was_leading_ = false;
  bool roles_checked_ = false;  // ensure_cluster_roles ran since this process acts as master
  bool start_confirmed_ = false;  // a resync was asked since PostgreSQL was found down (act_as_master)
  std::optional<AgentClock::time_point> lost_since_;
  std::uint64_t promoted_from_ = 0;
};

}  // namespace convene::dbcluster
