#include "web/web_context.h"

#include "admin/command_dispatch.h"
#include "admin/daemon.h"
#include "node/node.h"
#include "util/log.h"
#include "util/strings.h"
#include "web/captured_conversation.h"

namespace convene::web {

namespace {

xmpp::AttemptThrottle::Policy login_policy() {
  xmpp::AttemptThrottle::Policy p;
  p.free_attempts = 5;
  p.initial_delay = std::chrono::seconds(5);
  p.max_delay = std::chrono::seconds(300);
  return p;
}

}  // namespace

WebContext::WebContext(Daemon& daemon, const CommandRegistry& registry)
    : daemon_(daemon), registry_(registry), users_(daemon.node().config()), throttle_(login_policy()) {}

std::optional<AdminUser> WebContext::login(const std::string& peer, const std::string& user,
                                           const std::string& password, std::chrono::seconds& wait) {
  auto now = xmpp::AttemptThrottle::Clock::now();
  wait = std::chrono::seconds(0);
  if (auto closed = throttle_.wait_for(peer, now)) {
    wait = std::chrono::ceil<std::chrono::seconds>(*closed);
    if (wait.count() == 0) wait = std::chrono::seconds(1);
    ++logins_failed_;
    return std::nullopt;
  }
  auto account = users_.verify(user, password);
  if (!account) {
    throttle_.record(peer, now);
    ++logins_failed_;
    logger("audit")->warn("who={}@{} what='login' refused", user, peer);
    return std::nullopt;
  }
  throttle_.forget(peer);
  ++logins_ok_;
  return account;
}

CommandOutcome WebContext::run(const std::string& who, const std::vector<std::string>& argv,
                              std::deque<std::string> secrets, bool change, bool confirmed) {
  CapturedConversation io(std::move(secrets), confirmed);
  Status st = run_command(daemon_, registry_, io, argv, /*quiet=*/!change);
  if (change)
    logger("audit")->info("who={} what='{}' {}", who, join(argv, " "), st ? "done" : "refused: " + st.error().message);
  return {static_cast<bool>(st), io.output(), st ? "" : render_error(st.error())};
}

}  // namespace convene::web
