#include "dbcluster/replication_state.h"

#include <cstdio>

namespace convene::dbcluster {

const char* replication_role_name(ReplicationState::Role role) {
  switch (role) {
    case ReplicationState::Role::none: return "none";
    case ReplicationState::Role::master: return "master";
    case ReplicationState::Role::standby: return "standby";
    case ReplicationState::Role::unknown: return "unknown";
  }
  return "unknown";
}

namespace {

std::string bytes_text(const std::optional<std::int64_t>& bytes) {
  return bytes ? std::to_string(*bytes) + " bytes" : "bytes not reported";
}

}  // namespace

std::vector<std::pair<std::string, std::string>> replication_lines(const ReplicationState& s) {
  std::vector<std::pair<std::string, std::string>> out;
  switch (s.role) {
    case ReplicationState::Role::none: break;
    case ReplicationState::Role::unknown: out.push_back({"Replication", "unknown: " + s.why_unknown}); break;
    case ReplicationState::Role::standby:
      out.push_back({"Replication", "standby, replay backlog " + bytes_text(s.replay_backlog)});
      break;
    case ReplicationState::Role::master:
      if (s.standbys.empty()) out.push_back({"Replication", "master, no standby connected"});
      for (const auto& l : s.standbys) {
        std::string seconds = "replay lag not reported (idle)";
        if (l.seconds) {
          char buf[32];
          std::snprintf(buf, sizeof buf, "%.3f s", *l.seconds);
          seconds = buf;
        }
        out.push_back({"Replication lag", l.standby + " " + bytes_text(l.bytes) + ", " + seconds + " (" + l.state + ")"});
      }
      break;
  }
  return out;
}

}  // namespace convene::dbcluster
