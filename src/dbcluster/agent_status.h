#pragma once
// The agent's status texts: `database cluster status` gathered from the config
// section, the members table, what the members' PostgreSQL say now (the master's
// pg_stat_replication, each slave's pg_stat_wal_receiver: node_state.h turns them
// into the node lines) and the certificate files, rendered by status_view.h; and
// the certificate expiry warnings in the log.
//
// Thread-safety: status_text() runs on admin conversation threads without the
// agent's command mutex (a running join or remove must not hide the status); it
// takes state_mutex only to read disabling_since and failover_line together with
// the disabling flag (agent_core.h). Its queries are one-shot connections, the
// remote ones side by side (each bounded by its connect timeout).
#include <string>

namespace convene::dbcluster {

struct AgentCore;

std::string status_text(AgentCore& core);

// Logs a warning per certificate that is expired or expires soon.
void log_expiry(AgentCore& core);

}  // namespace convene::dbcluster
