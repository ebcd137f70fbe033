#include "callbridge/status.h"

#include "callbridge/room_history.h"

#include <fcntl.h>
#include <unistd.h>

#include <chrono>

namespace convene::callbridge {

std::string_view state_name(LinkState state) {
  switch (state) {
    case LinkState::starting: return "starting";
    case LinkState::connecting: return "connecting";
    case LinkState::connected: return "connected";
    case LinkState::failed: return "failed";
  }
  return "?";
}

std::string_view cause_name(FailureCause cause) {
  switch (cause) {
    case FailureCause::none: return "";
    case FailureCause::dns: return "dns";
    case FailureCause::authentication: return "authentication";
    case FailureCause::unreachable: return "unreachable";
    case FailureCause::configuration: return "configuration";
  }
  return "?";
}

int64_t unix_ms_now() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

namespace {
std::string iso_time(int64_t unix_ms) { return unix_ms == 0 ? "" : xep0082_stamp(unix_ms); }
}  // namespace

std::string describe_database(const LinkStatus& s) {
  std::string out = s.database + " (" + s.database_where + ")";
  if (!s.database_server.empty()) out += ", master " + s.database_server;
  if (!s.database_problem.empty()) out += ", failing: " + s.database_problem;
  return out;
}

nlohmann::json to_json(const LinkStatus& s) {
  nlohmann::json j{{"name", s.name},
                   {"domain", s.domain},
                   {"component", s.component},
                   {"mode", s.mode},
                   {"state", state_name(s.state)},
                   {"since", iso_time(s.since_unix_ms)},
                   {"since_unix_ms", s.since_unix_ms},
                   {"connections", s.connections},
                   {"spaces", s.spaces},
                   {"occupants", s.occupants},
                   {"database", {{"kind", s.database},
                                 {"where", s.database_where},
                                 {"server", s.database_server},
                                 {"problem", s.database_problem}}},
                   {"message", s.message}};
  if (s.state == LinkState::connected) {
    j["server"] = s.server;
    j["server_address"] = s.server_address;
    j["local_address"] = s.local_address;
    j["tls"] = s.tls;
  }
  if (s.held_elsewhere) j["held_elsewhere"] = true;
  if (s.cause != FailureCause::none) j["cause"] = cause_name(s.cause);
  if (s.cause == FailureCause::dns) {
    j["dns_name"] = s.dns_name;
    j["dns_error"] = s.dns_error;
  }
  auto tried = nlohmann::json::array();
  for (auto& a : s.tried) tried.push_back({{"target", a.target}, {"address", a.address}, {"error", a.error}});
  j["tried"] = tried;
  if (!s.last_loss.empty()) j["last_loss"] = s.last_loss;
  return j;
}

std::string to_text(const LinkStatus& s) {
  std::string out;
  out += "Call bridge: " + s.name + " (" + s.component + ")\n";
  out += "Finding servers: " + s.mode + "\n";
  out += "State: " + std::string(state_name(s.state)) + "\n";
  if (s.state == LinkState::connected) {
    out += "Connected to: " + s.server + " (" + s.server_address + ") since " + iso_time(s.since_unix_ms) + "\n";
  } else if (!s.message.empty()) {
    out += "Cause: " + s.message + "\n";
    for (auto& a : s.tried)
      out += "  tried " + a.target + (a.address.empty() ? "" : " (" + a.address + ")") + ": " + a.error + "\n";
  }
  if (!s.last_loss.empty()) out += "Last connection lost: " + s.last_loss + "\n";
  out += "Spaces: " + std::to_string(s.spaces.size()) + ", occupants: " + std::to_string(s.occupants) + "\n";
  if (!s.database.empty()) out += "Spaces database: " + describe_database(s) + "\n";
  return out;
}

bool write_status_file(const std::string& path, const LinkStatus& status) {
  std::string text = to_json(status).dump(2) + "\n";
  std::string tmp = path + ".tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return false;
  size_t done = 0;
  while (done < text.size()) {
    ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n <= 0) {
      ::close(fd);
      ::unlink(tmp.c_str());
      return false;
    }
    done += static_cast<size_t>(n);
  }
  ::close(fd);
  return ::rename(tmp.c_str(), path.c_str()) == 0;
}

}  // namespace convene::callbridge
