#pragma once
// Gathers replication_state.h's values for the agent (Agent::replication_state).
#include "dbcluster/replication_state.h"

namespace convene::dbcluster {

struct AgentCore;

ReplicationState replication_state(AgentCore& core);

}  // namespace convene::dbcluster
