#pragma once
// What an operator needs to know about a call bridge's link to the XMPP service:
// connected to which server since when, or why not — the DNS look-up failed (which
// record, which error), the secret was rejected, or no server could be reached (which
// targets were tried, each with its error). Rendered as JSON for the status file
// that `mmp callbridge status` (via convened) and tests read, and as text.
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace convene::callbridge {

enum class LinkState { starting, connecting, connected, failed };
enum class FailureCause { none, dns, authentication, unreachable, configuration };

std::string_view state_name(LinkState state);
std::string_view cause_name(FailureCause cause);

struct Attempt {
  std::string target;   // "node2.tptac9.com:5223"
  std::string address;  // "127.0.1.2:5223" when it resolved, else empty
  std::string error;    // "connection refused", "secret rejected (not-authorized)", ...
  bool operator==(const Attempt&) const = default;
};

struct LinkStatus {
  std::string name;              // "cb1"
  std::string domain;            // "tptac9.com"
  std::string component;         // "cb1.tptac9.com"
  std::string mode;              // "srv _xmpp-component._tcp.tptac9.com" or "server host:port"
  LinkState state = LinkState::starting;
  // connected
  std::string server;            // target "host:port" as configured or from SRV
  std::string server_address;    // the address actually connected to
  std::string local_address;     // this end ("127.0.0.1:4711", as the server names its peer)
  bool tls = false;              // the stream runs over TLS (server verified)
  // connecting: a standby the service told the name is held by another bridge
  // (it asks again soon); readers branch on this, not on the message's text.
  bool held_elsewhere = false;
  int64_t since_unix_ms = 0;     // connected (or failing) since
  // failed
  FailureCause cause = FailureCause::none;
  std::string message;           // one line, for people
  std::string dns_name;          // the record (or host) whose look-up failed
  std::string dns_error;
  std::vector<Attempt> tried;    // the attempts since the last success or look-up
  std::string last_loss;         // why the previous connection ended, if one did
  int64_t connections = 0;       // successful connections since start
  std::vector<std::string> spaces;  // meeting spaces known (persisted)
  int occupants = 0;
  // Where the spaces are kept: "SQLite" (file) or "PostgreSQL" ("cluster of 3 nodes"),
  // the server in use ("127.0.1.1:5432", PostgreSQL only) and the last failure.
  std::string database;
  std::string database_where;
  std::string database_server;
  std::string database_problem;

  bool operator==(const LinkStatus&) const = default;
};

nlohmann::json to_json(const LinkStatus& status);
// "PostgreSQL (cluster of 3 nodes), master 127.0.1.1:5432" or "SQLite (/path/spaces.sqlite)".
std::string describe_database(const LinkStatus& status);
std::string to_text(const LinkStatus& status);

// Write `status` as JSON to `path` atomically (temporary file + rename).
bool write_status_file(const std::string& path, const LinkStatus& status);

int64_t unix_ms_now();

}  // namespace convene::callbridge
