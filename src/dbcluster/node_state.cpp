#include "dbcluster/node_state.h"

namespace convene::dbcluster {

namespace {

// The master's walsender for a slave: the seed's words.
std::string connected_slave(const WalSender& s) {
  if (s.state != "streaming") return "Connected Slave ( Catching Up )";
  return s.sync_state == "sync" || s.sync_state == "quorum" ? "Connected Slave ( In Sync )"
                                                            : "Connected Slave ( Out Of Sync )";
}

// The slave answered: its walreceiver is the first witness, the master's walsender
// the second (both must see the one connection).
std::string from_slave_side(const MasterSide& m, const SlaveSide& s, const std::string& master) {
  if (!s.in_recovery) return "Disconnected Slave (its PostgreSQL runs as a primary: it follows no master)";
  if (s.receiver_status != "streaming") {
    if (!m.known) return m.reached ? "Disconnected Slave (" + m.why_unknown + ")" : "Disconnected Slave (master unreachable)";
    if (s.receiver_status.empty()) return "Disconnected Slave (no replication connection to the master)";
    return "Disconnected Slave (replication " + s.receiver_status + ")";
  }
  if (s.sender_host != master)
    return "Disconnected Slave (streaming from " + s.sender_host + ", not from the master " + master + ")";
  if (!m.known) return "Connected Slave (sync state unknown: " + m.why_unknown + ")";
  if (!m.sender) return "Disconnected Slave (the master lists no replication connection from it)";
  return connected_slave(*m.sender);
}

}  // namespace

std::string slave_state(const MasterSide& m, const SlaveSide& s, const std::string& master, bool me) {
  if (s.known) return from_slave_side(m, s, master);
  if (m.sender) return connected_slave(*m.sender);
  if (m.known) return me ? "Disconnected Slave (" + s.why_unknown + ")" : "Unreachable";
  return "unknown: " + m.why_unknown + "; " + s.why_unknown;
}

std::string master_state(bool answered, bool in_recovery, const std::string& why, bool me, bool fenced) {
  if (me && fenced) return "Fenced Master (no majority: not accepting writes)";
  if (!answered) return me ? "unknown: " + why : "Unreachable";
  if (in_recovery) return "Disconnected Master (its PostgreSQL is a standby, not yet a primary)";
  return "Connected Master";
}

}  // namespace convene::dbcluster
