#include "admin/daemon.h"

#include "admin/callbridge_settings.h"
#include "admin/xmpp_cluster.h"
#include "admin/xmpp_settings.h"
#include "util/log.h"
#include "xmpp/local_store.h"

namespace convene {

namespace {
std::unique_ptr<xmpp::SwitchableStore> switchable(const std::shared_ptr<xmpp::XmppStore>& local) {
  return local ? std::make_unique<xmpp::SwitchableStore>(local) : nullptr;
}
}  // namespace

Daemon::Daemon(Node& node, std::unique_ptr<xmpp::XmppStore> store, std::unique_ptr<xmpp::Service> xmpp)
    : node_(node), local_(std::move(store)), store_(switchable(local_)), xmpp_(std::move(xmpp)) {}

Daemon::Daemon(Node& node, std::shared_ptr<xmpp::XmppStore> local, std::unique_ptr<xmpp::SwitchableStore> store,
               std::unique_ptr<xmpp::Service> xmpp)
    : node_(node), local_(std::move(local)), store_(std::move(store)), xmpp_(std::move(xmpp)) {}

Result<std::unique_ptr<Daemon>> Daemon::open(Node& node) {
  auto opened = xmpp::open_local_store(node.paths().state() / "xmpp");
  if (!opened) return opened.error();
  std::shared_ptr<xmpp::XmppStore> local = std::move(*opened);
  auto store = switchable(local);
  auto service = xmpp::make_service(*store);
  std::unique_ptr<Daemon> daemon(new Daemon(node, local, std::move(store), std::move(service)));
  // A cluster member opens its cluster store before the service starts, so the
  // service never serves the stale local copy. A cluster that cannot be reopened
  // (a certificate gone) leaves the node on its local store, said in the log and
  // by `xmpp cluster status`.
  if (auto st = reopen_xmpp_cluster(*daemon); !st)
    logger("xmpp")->error("XMPP cluster member, but the cluster cannot be opened: {}", st.error().text());
  // A service that cannot start (a certificate gone, an address taken) must not
  // keep the node from serving mmp, where the operator fixes it: the reason is
  // logged and shown by `xmpp status`.
  if (xmpp_config(node.config()).enabled) {
    if (auto st = start_xmpp_service(*daemon); !st)
      logger("xmpp")->error("XMPP service is enabled but not running: {}", st.error().text());
  }
  auto database = dbcluster::open_agent(node);
  if (!database) return database.error();
  daemon->database_ = std::move(*database);
  // Like the XMPP service: a call bridge that cannot start is logged and shown by
  // `callbridge status`; the node still serves mmp.
  if (callbridge_config(node.config()).enabled) {
    std::lock_guard lock(daemon->callbridge_mutex());
    if (auto st = start_callbridge(*daemon); !st)
      logger("callbridge")->error("the call bridge is enabled but not running: {}", st.error().text());
  }
  // The call bridge's spaces follow the database cluster (callbridge_database.h).
  Daemon* d = daemon.get();
  daemon->spaces_follower_ =
      std::make_unique<PeriodicTask>("cb-follow", std::chrono::seconds(1), [d] { follow_spaces_database(*d); });
  // Standby call bridges for the cluster's other bridges (callbridge_standbys.h).
  daemon->standby_follower_ = std::make_unique<PeriodicTask>("cb-standby", std::chrono::milliseconds(500), [d] {
    std::lock_guard lock(d->callbridge_mutex());
    d->standbys_.follow(*d);
  });
  return daemon;
}

Daemon::~Daemon() { stop(); }

std::shared_ptr<xmpp::ClusterStore> Daemon::cluster_store() {
  std::lock_guard lock(cluster_mutex_);
  return cluster_;
}

void Daemon::attach_cluster(std::shared_ptr<xmpp::ClusterStore> cluster) {
  std::shared_ptr<xmpp::ClusterStore> old;
  {
    std::lock_guard lock(cluster_mutex_);
    old = std::move(cluster_);
    cluster_ = cluster;
    store_->set_target(cluster);
  }
  if (xmpp_) xmpp_->set_cluster(cluster);
  if (old && old != cluster) old->stop();
}

void Daemon::detach_cluster() {
  std::shared_ptr<xmpp::ClusterStore> old;
  {
    std::lock_guard lock(cluster_mutex_);
    old = std::move(cluster_);
    cluster_.reset();
    if (store_) store_->set_target(local_);
  }
  if (xmpp_ && old) xmpp_->set_cluster(nullptr);
  if (old) old->stop();
}

void Daemon::stop() {
  if (spaces_follower_) spaces_follower_->stop();  // it could start the call bridge again
  if (standby_follower_) standby_follower_->stop();
  standbys_.stop();
  callbridge_.stop();  // first: it is a client of the XMPP service stopping next
  if (xmpp_) xmpp_->stop();
  detach_cluster();
  if (database_) database_->stop();
}

}  // namespace convene
