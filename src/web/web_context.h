#pragma once
// What the pages, the API and /metrics share: the node (through the Daemon), the
// command layer (admin/command_dispatch.h: the same handlers and checks as mmp),
// the accounts, and the login check throttled per client address
// (xmpp::AttemptThrottle: a few free tries, then doubling delays, no password
// check while an address waits), with its counters for /metrics. Every change
// made over HTTPS runs an mmp command and writes an audit line: who (account and
// address), what (the command), when (the log line's time).
#include <atomic>
#include <chrono>
#include <deque>
#include <optional>
#include <string>
#include <vector>

#include "admin/command_registry.h"
#include "web/admin_users.h"
#include "xmpp/attempt_throttle.h"

namespace convene {
class Daemon;
}

namespace convene::web {

struct CommandOutcome {
  bool ok = false;
  std::string output;  // what the command printed
  std::string error;   // "ERROR: ...\n  hint" when !ok
};

class WebContext {
 public:
  WebContext(Daemon& daemon, const CommandRegistry& registry);

  // Runs an mmp command for `who`, "account(web)@address" or "account@address"
  // (secrets answered from `secrets`); a `change` writes an audit line. Reads (the
  // status page's, refreshed every few seconds) write none, and their command
  // line in the admin log is at debug level (run_command's `quiet`): mmp's audit
  // lines are likewise for changes only. `confirmed`:
  // the request was already the operator's explicit yes to the command's (Y/n).
  CommandOutcome run(const std::string& who, const std::vector<std::string>& argv,
                     std::deque<std::string> secrets = {}, bool change = true, bool confirmed = false);

  // Checks a name and password, throttled per address; nothing when refused, and
  // then `wait` is how long the address must wait (zero: it may try again now).
  std::optional<AdminUser> login(const std::string& peer, const std::string& user, const std::string& password,
                                 std::chrono::seconds& wait);

  Daemon& daemon() { return daemon_; }
  std::uint64_t logins_ok() const { return logins_ok_; }
  std::uint64_t logins_failed() const { return logins_failed_; }

 private:
  Daemon& daemon_;
  const CommandRegistry& registry_;
  AdminUsers users_;
  xmpp::AttemptThrottle throttle_;
  std::atomic<std::uint64_t> logins_ok_{0}, logins_failed_{0};
};

}  // namespace convene::web
