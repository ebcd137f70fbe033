#pragma once
// `database cluster status` as plain values and its rendering in seed 004's shape:
//
//   Status                : Enabled
//
//   Nodes:
//     10.106.85.73       : Connected Master
//     10.106.85.75 (me)  : Connected Slave ( In Sync )
//   Node in use           : 10.106.85.73
//   Replication lag       : 10.106.85.75 0 bytes, 0.000 s (streaming)   (master: per standby)
//
//   Interface             : a
//
//   Certificates
//     Server Key          : dbclusterserver.key
//     Server Certificate  : dbclusterserver.cer (expired)
//     ...
//
//   Last command          : 'database cluster join 10.106.85.73' (Success)
//
// Labels end at column 22, node names at column 21, as in the seed. Pure: unit-tested.
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "pki/certificate_info.h"

namespace convene::dbcluster {

inline constexpr long kExpiryWarningDays = 30;

struct NodeLine {
  std::string address;
  bool me = false;
  std::string state;  // "Connected Master", "Connected Slave ( In Sync )", "Unreachable", ...
};

struct CertLine {
  std::string label;  // "Server Key", "Server Certificate", ...
  std::string file;   // the name in the file area; empty when not configured
  // For certificates: what the file says, when it could be read.
  std::optional<pki::CertificateInfo> info;
  bool missing = false;  // configured but no longer in the file area
  // The server certificate: this node's address when the certificate does not
  // name it (the peers check it: sslmode=verify-full); empty otherwise.
  std::string unnamed_address;
};

struct StatusView {
  enum class State { kDisabled, kEnabled, kDisabling };
  State state = State::kDisabled;
  long disabling_seconds = 0;
  std::vector<NodeLine> nodes;
  std::string node_in_use;  // empty: "None"
  std::string failover;     // empty: no line (a node not in a cluster)
  // This node's role and lag (replication_state.h's replication_lines), after Failover.
  std::vector<std::pair<std::string, std::string>> replication;
  std::string interface;    // empty: "None"
  std::vector<CertLine> certs;
  std::string last_command;  // empty: no line
  bool last_ok = true;
  std::string last_error;
};

// The certificate's marker after its name: " (expired)", " (expires in 12 days)",
// " (not yet valid)", " (missing)" or "", then " (does not name 10.0.0.1)" for a
// server certificate the peers would refuse.
// Whether `cert` names `address` as a peer checking it would: an IP or DNS
// subjectAltName equal to it, or the CN when there is no subjectAltName.
bool certificate_names(const pki::CertificateInfo& cert, const std::string& address);
std::string certificate_marker(const CertLine& line, pki::Time now);

// Warnings for certificates that are expired or expire within kExpiryWarningDays
// ("Server Certificate dbclusterserver.cer expires in 12 days"), for the log and
// the status's trailing WARNING lines (which leave the expired ones out: the
// certificate lines above mark those already).
std::vector<std::string> expiry_warnings(const std::vector<CertLine>& certs, pki::Time now,
                                         bool include_expired = true);

std::string render_status(const StatusView& view, pki::Time now);

}  // namespace convene::dbcluster
