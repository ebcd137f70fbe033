#pragma once
// What one convened runs: the node (directory, config, interfaces) and the
// subsystems hanging off it. Command handlers reach everything through it.
//
// Thread-safety: accessors may be called from admin conversation threads; each
// subsystem guards itself.
#include <memory>

#include "dbcluster/agent.h"
#include "node/node.h"
#include "xmpp/service.h"
#include "xmpp/store.h"

namespace convene {

class Daemon {
 public:
  // Opens the node's subsystems: the XMPP store in DIR/state/xmpp, the XMPP service
  // (started when the configuration says it is enabled).
  static Result<std::unique_ptr<Daemon>> open(Node& node);

  // For tests: parts may be null when a test does not need them.
  Daemon(Node& node, std::unique_ptr<xmpp::XmppStore> store, std::unique_ptr<xmpp::Service> xmpp)
      : node_(node), store_(std::move(store)), xmpp_(std::move(xmpp)) {}
  ~Daemon();

  Node& node() { return node_; }
  xmpp::XmppStore& store() { return *store_; }
  xmpp::Service& xmpp() { return *xmpp_; }
  dbcluster::Agent& database() { return *database_; }

  // Stops the subsystems (SIGTERM).
  void stop();

 private:
  Node& node_;
  std::unique_ptr<xmpp::XmppStore> store_;
  std::unique_ptr<xmpp::Service> xmpp_;
  std::unique_ptr<dbcluster::Agent> database_;  // set by open(); null in tests that do not need it
};

}  // namespace convene
