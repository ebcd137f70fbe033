#pragma once
// Renews the lease this node's PostgreSQL runs on (postgres_lease.h) every
// kLeaseRenewEvery, from a thread of its own ("db-lease"): never under the
// command mutex, which a join, a rewind or a backup holds for minutes, so a
// busy agent is not mistaken for a dead one. It stops renewing while this node
// believes it is the master and reaches no majority of the agents' group, and
// says so in AgentCore::lease_withheld, where the reconciler's fencing reads it
// (failover.h), so both fence on the same rule.
//
// Thread-safety: start/stop from the agent's owner (open, stop); the thread
// reads the group through AgentCore::lease_group() and renews through the
// thread-safe PostgresGuard.
#include <condition_variable>
#include <mutex>
#include <thread>

#include "dbcluster/agent_core.h"

namespace convene::dbcluster {

class LeaseKeeper {
 public:
  explicit LeaseKeeper(AgentCore& core) : core_(core) {}
  LeaseKeeper(const LeaseKeeper&) = delete;
  LeaseKeeper& operator=(const LeaseKeeper&) = delete;
  ~LeaseKeeper() { stop(); }

  void start();
  void stop();
  // One renewal decision (the thread runs it every kLeaseRenewEvery).
  void renew_once();

 private:
  void run();

  AgentCore& core_;
  std::thread thread_;
  std::mutex mutex_;  // guards stopping_
  std::condition_variable wake_;
  bool stopping_ = false;
};

}  // namespace convene::dbcluster
