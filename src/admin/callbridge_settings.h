#pragma once
// The call bridge that convened runs on its node, as the operator set it
// with `callbridge ...` (names as CMS Web Admin > Configuration > General): the
// "callbridge" section of the node's configuration, turned into the command line
// of convene-callbridge for the supervisor (callbridge_supervisor.h).
//
// Configuration keys of the "callbridge" section (CallbridgeConfig in config_sections.h):
//   name      "cb1"              unique call bridge name, without the domain
//   domain    "tptac9.com"
//   server    "127.0.1.1:5223"   optional fixed XMPP server; absent = DNS SRV
//   dns       "127.0.0.1:53"     optional DNS server; absent = the system's resolver
//   enabled   true|false         run it (also when the daemon starts)
//
// The secret is not there (config.json is read and copied more than secrets should
// be): it is DIR/state/callbridge/secret, mode 0600, the --secret-file of the child.
#include <cstdint>
#include <filesystem>
#include <string>

#include <nlohmann/json.hpp>

#include "admin/callbridge_supervisor.h"
#include "admin/config_sections.h"
#include "node/node_paths.h"
#include "util/result.h"

namespace convene {

class Daemon;
class Node;

struct CallbridgeFiles {
  std::filesystem::path dir;     // DIR/state/callbridge
  std::filesystem::path secret;  // secret (0600)
  std::filesystem::path db;      // spaces.sqlite
  std::filesystem::path conninfo;  // spaces.conninfo: the PostgreSQL connection string, when the cluster keeps the spaces
  std::filesystem::path status;  // status.json, written by the child
  std::filesystem::path log;     // DIR/logs/callbridge.log
};
CallbridgeFiles callbridge_files(const NodePaths& paths);

// "ip[:port]" (IPv6 as "[addr]:port") checked and written in full, port included:
// parse_ip_endpoint("127.0.0.1", 53) is "127.0.0.1:53". `what` names the setting in
// the error ("XMPP server address").
Result<std::string> parse_ip_endpoint(const std::string& text, uint16_t default_port, const std::string& what);

// A secret as typed: no spaces or control characters, at most 256 characters, and
// strong enough (xmpp::check_component_secret: 16+ characters, 8+ different).
Status check_callbridge_secret(const std::string& secret);

// convene-callbridge, in the directory of the running convened.
std::filesystem::path callbridge_program();

// The child's command line from the section, or the first thing missing with the
// command that sets it ("no call bridge secret: set it with 'callbridge secret'").
// With `spaces_in_postgres`, the child keeps its spaces in the database cluster
// (--pg-conninfo-file, callbridge_database.h); --db is still given: its spaces are
// copied once.
Result<ChildLaunch> callbridge_launch_for(const NodePaths& paths, const CallbridgeConfig& config,
                                          bool spaces_in_postgres = false);
// The same from the section as stored.
Result<ChildLaunch> callbridge_launch(const NodePaths& paths, const nlohmann::json& section,
                                      bool spaces_in_postgres = false);

// Starts (or restarts) the configured call bridge under the daemon's supervisor,
// on the spaces database the node's state says (callbridge_database.h). The caller
// holds daemon.callbridge_mutex().
Status start_callbridge(Daemon& daemon);

}  // namespace convene
