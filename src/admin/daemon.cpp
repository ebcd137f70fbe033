#include "admin/daemon.h"

#include "admin/xmpp_settings.h"
#include "util/log.h"
#include "xmpp/local_store.h"

namespace convene {

Result<std::unique_ptr<Daemon>> Daemon::open(Node& node) {
  auto store = xmpp::open_local_store(node.paths().state() / "xmpp");
  if (!store) return store.error();
  auto service = xmpp::make_service(**store);
  auto daemon = std::make_unique<Daemon>(node, std::move(*store), std::move(service));
  // A service that cannot start (a certificate gone, an address taken) must not
  // keep the node from serving mmp, where the operator fixes it: the reason is
  // logged and shown by `xmpp status`.
  auto section = node.config().section("xmpp");
  if (section.is_object() && section.value("enabled", false)) {
    if (auto st = start_xmpp_service(*daemon); !st)
      logger("xmpp")->error("XMPP service is enabled but not running: {}", st.error().text());
  }
  auto database = dbcluster::open_agent(node);
  if (!database) return database.error();
  daemon->database_ = std::move(*database);
  return daemon;
}

Daemon::~Daemon() { stop(); }

void Daemon::stop() {
  if (xmpp_) xmpp_->stop();
  if (database_) database_->stop();
}

}  // namespace convene
