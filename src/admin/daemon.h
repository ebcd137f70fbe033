#pragma once
// What one convened runs: the node (directory, config, interfaces) and the
// subsystems hanging off it. Command handlers reach everything through it.
//
// The XMPP store the service and the commands see is a SwitchableStore: the
// node's local store, or its cluster store once the node is in an XMPP cluster
// (admin/xmpp_cluster.h). The local store stays open underneath, unused
// while the cluster store is attached.
//
// Thread-safety: accessors may be called from admin conversation threads; each
// subsystem guards itself. attach/detach of the cluster store are serialized by
// cluster_mutex(), which the `xmpp cluster` commands hold for their whole run.
#include <atomic>
#include <memory>
#include <mutex>

#include "admin/callbridge_database.h"
#include "admin/callbridge_standbys.h"
#include "admin/callbridge_supervisor.h"
#include "dbcluster/agent.h"
#include "node/node.h"
#include "xmpp/cluster_store.h"
#include "xmpp/service.h"
#include "xmpp/store.h"
#include "xmpp/switchable_store.h"

namespace convene {

class Daemon {
 public:
  // Opens the node's subsystems: the XMPP store in DIR/state/xmpp, the XMPP cluster
  // store when the configuration says this node is in a cluster, the XMPP service
  // (started when the configuration says it is enabled).
  static Result<std::unique_ptr<Daemon>> open(Node& node);

  // For tests: parts may be null when a test does not need them.
  Daemon(Node& node, std::unique_ptr<xmpp::XmppStore> store, std::unique_ptr<xmpp::Service> xmpp);
  ~Daemon();

  Node& node() { return node_; }
  xmpp::XmppStore& store() { return *store_; }
  xmpp::Service& xmpp() { return *xmpp_; }
  dbcluster::Agent& database() { return *database_; }
  dbcluster::Agent* database_if_open() { return database_.get(); }
  // The node's convene-callbridge (`callbridge ...` commands; callbridge_settings.h).
  CallbridgeSupervisor& callbridge() { return callbridge_; }
  // Held by whatever starts, stops or reconfigures the call bridge: its commands,
  // the database commands' restarts and the spaces follower (callbridge_database.h).
  std::mutex& callbridge_mutex() { return callbridge_mutex_; }
  // Whether the running call bridge was started with its spaces in PostgreSQL.
  bool callbridge_on_postgres() const { return callbridge_on_postgres_; }
  void set_callbridge_on_postgres(bool on) { callbridge_on_postgres_ = on; }
  // The standby call bridges this node runs (callbridge_standbys.h), for status.
  const CallbridgeStandbys& standbys() const { return standbys_; }

  // The XMPP cluster. local_store() is this node's own store, whatever is attached.
  xmpp::XmppStore& local_store() { return *local_; }
  std::shared_ptr<xmpp::ClusterStore> cluster_store();
  // Makes `cluster` the store of the service and the commands.
  void attach_cluster(std::shared_ptr<xmpp::ClusterStore> cluster);
  // Closes the cluster store (raft stops) and goes back to the local store.
  void detach_cluster();
  std::mutex& cluster_mutex() { return cluster_command_mutex_; }

  // Stops the subsystems (SIGTERM).
  void stop();

 private:
  Daemon(Node& node, std::shared_ptr<xmpp::XmppStore> local, std::unique_ptr<xmpp::SwitchableStore> store,
         std::unique_ptr<xmpp::Service> xmpp);

  Node& node_;
  std::shared_ptr<xmpp::XmppStore> local_;
  std::unique_ptr<xmpp::SwitchableStore> store_;  // null in tests without a store
  std::unique_ptr<xmpp::Service> xmpp_;
  std::unique_ptr<dbcluster::Agent> database_;  // set by open(); null in tests that do not need it
  std::mutex cluster_mutex_;
  std::shared_ptr<xmpp::ClusterStore> cluster_;
  std::mutex cluster_command_mutex_;
  CallbridgeSupervisor callbridge_;
  std::mutex callbridge_mutex_;
  std::atomic<bool> callbridge_on_postgres_{false};
  std::unique_ptr<PeriodicTask> spaces_follower_;  // after callbridge_: stopped (destroyed) first
  CallbridgeStandbys standbys_;                    // followed by standby_follower_ only
  std::unique_ptr<PeriodicTask> standby_follower_;
};

}  // namespace convene
