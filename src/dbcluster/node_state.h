#pragma once
// The state word of one node line of `database cluster status` ("Connected Master",
// "Connected Slave ( In Sync )", "Disconnected Slave (master unreachable)", ...)
// derived from what the node observed just now, never from a record:
//   - the master's pg_stat_replication (its walsenders: a slave whose walsender
//     is gone is not connected; wal_sender_timeout keeps this a few seconds fresh),
//   - the slave's own pg_stat_wal_receiver (status and the host it streams from),
//   - whether the master's PostgreSQL answered and is a primary.
// A fact that could not be observed is empty (std::nullopt) with the reason why,
// and a line that rests on no observation at all says "unknown: <why>".
// Pure: unit-tested in node_state_test.cpp; agent_status.cpp gathers the facts.
#include <optional>
#include <string>

namespace convene::dbcluster {

// One row of the master's pg_stat_replication for a slave.
struct WalSender {
  std::string state;       // "streaming", "catchup", "startup", ...
  std::string sync_state;  // "sync", "quorum", "potential", "async"
};

// What the master's PostgreSQL said about its walsenders.
struct MasterSide {
  bool known = false;          // the master answered as a primary
  bool reached = false;        // it answered at all (known, or it is a standby now)
  std::string why_unknown;     // when not known: "master 10.0.0.1 unreachable (...)"
  std::optional<WalSender> sender;  // the slave's walsender, when the master lists one
};

// What the slave's own PostgreSQL said about its walreceiver.
struct SlaveSide {
  bool known = false;       // the slave's PostgreSQL answered
  std::string why_unknown;  // when not known: "PostgreSQL on this node is not running"
  bool in_recovery = true;  // false: it runs as a primary, so follows no one
  std::string receiver_status;  // "streaming", "waiting", ...; empty: no walreceiver
  std::string sender_host;      // the host it receives from (its primary_conninfo host)
};

// The line of a slave: `master` is the master's address (to check the sender host).
// `me` only chooses the wording when nothing is known: the local node says why its
// own PostgreSQL did not answer; another node that answers nothing is "Unreachable".
std::string slave_state(const MasterSide& master_side, const SlaveSide& slave_side, const std::string& master,
                        bool me);

// The line of the master. `answered`: its PostgreSQL answered just now; `in_recovery`
// what it said; `why` the reason when it did not answer. `me`: the line is this
// node's own; `fenced`: this node stopped its master for lack of a majority.
std::string master_state(bool answered, bool in_recovery, const std::string& why, bool me, bool fenced);

}  // namespace convene::dbcluster
