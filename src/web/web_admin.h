#pragma once
// The node's web admin: the HTTPS listener (https_listener.h) started and stopped
// as the "webadmin" section says (webadmin_config.h), serving the pages and the
// CMS API (web_routes.h). Owned by convened's main next to the admin server; the
// `webadmin` commands reach it through the registry's handlers.
//
// Thread-safety: start and stop are serialized by one mutex, held while an old
// listener closes (which waits for the requests it is answering); state() reads
// a copy under a second, short one, so a request that asks for it (the Status
// page's `webadmin status`) cannot hold up a restart that waits for that request.
// Requests run on the listener's worker threads.
#include <memory>
#include <mutex>
#include <string>

#include "admin/command_registry.h"
#include "util/result.h"
#include "web/https_listener.h"

namespace convene {
class Daemon;
}

namespace convene::web {

class WebRoutes;

class WebAdmin {
 public:
  WebAdmin(Daemon& daemon, const CommandRegistry& registry);
  ~WebAdmin();

  // (Re)starts the listener with the configured interface, port and certificate.
  // The error says what is missing or wrong: a setting or file that fails its
  // check leaves a running listener as it was; a port that cannot be bound leaves
  // none (the old one was closed to free the port), which `webadmin status` shows.
  Status start();
  void stop();

  struct State {
    bool listening = false;
    std::string address;
    uint16_t port = 0;
  };
  State state() const;

  Daemon& daemon() { return daemon_; }

 private:
  Daemon& daemon_;
  std::unique_ptr<WebRoutes> routes_;
  std::mutex mutex_;
  std::unique_ptr<HttpsListener> listener_;
  mutable std::mutex state_mutex_;
  State state_;  // what listener_ is, for state()
  void set_state(const State& s);
};

// The `webadmin` and `user` command groups (webadmin_commands.cpp, user_commands.cpp).
// `web` is null where only their words are needed (the manual pages): they then answer
// that the web admin is not part of the process.
void register_webadmin_commands(CommandRegistry& registry, WebAdmin* web);
void register_user_commands(CommandRegistry& registry);

}  // namespace convene::web
