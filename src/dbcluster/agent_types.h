#pragma once
// The few names the database agent's parts (agent_core, membership, failover)
// and its users share, apart from the Agent interface itself, so that a part
// never includes the agent that wires it (no include reaches back up).
#include <string>
#include <vector>

namespace convene::dbcluster {

// The node config section the agent keeps (interface, certs, enabled, master,
// last command); read through DatabaseConfig (database_config.h).
inline constexpr const char* kConfigSection = "database";

// "2026-01-31T12:00:00Z", UTC now: the master record's and the backups' times.
std::string now_iso();

// The seed's confirmation texts, verbatim.
extern const char* const kInitializeWarning;
extern const char* const kJoinWarning;
extern const char* const kJoinAlreadyNote;  // appended when this node is already in a cluster
extern const char* const kRemoveWarning;

// What this node sees of its database cluster now (Agent::cluster_view), for the
// status lines of other parts (the call bridge's "Spaces database").
struct ClusterView {
  std::vector<std::string> members;  // the replicated members table (or the last list read)
  std::string master;                // the agents' master record as applied here; empty when unknown
  std::string master_unknown;        // why `master` is empty
};

struct CertNames {
  std::string server_key, server_cert, client_key, client_cert, ca_cert;
};

}  // namespace convene::dbcluster
