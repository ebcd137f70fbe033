#pragma once
// Cluster membership, the seed's `database cluster` command steps: the local
// node's interface and certificates (rotated live on a running cluster), and
// initialize / join / remove, which make, enter and leave a cluster: the local
// PostgreSQL, the replicated members table, the agents' group. Also resume(),
// which runs the local PostgreSQL as the configuration says when convened starts.
//
// Thread-safety: every method is called with the agent's command mutex held
// (agent_core.h): commands on admin conversation threads, remove() on the
// remover thread, resume() before the worker starts.
#include <functional>
#include <string>

#include "dbcluster/agent_types.h"
#include "dbcluster/agent_core.h"

namespace convene::dbcluster {

class Membership {
 public:
  explicit Membership(AgentCore& core) : core_(core) {}

  Status resume();
  Status set_localnode(const std::string& iface, const std::string& line);
  Status set_certs(const CertNames& names, const std::string& line,
                   const std::function<void(const std::string&)>& say);
  // The checks made before initialize's and join's question.
  Status check_ready();
  Status check_join(const std::string& master);
  Status initialize();
  Status join(const std::string& master);
  Status remove();

 private:
  void reconnect_standbys_one_by_one();

  AgentCore& core_;
};

}  // namespace convene::dbcluster
