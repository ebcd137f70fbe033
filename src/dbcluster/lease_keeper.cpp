#include "dbcluster/lease_keeper.h"

#include "dbcluster/failover.h"
#include "dbcluster/postgres_lease.h"
#include "util/thread_name.h"

namespace convene::dbcluster {

void LeaseKeeper::start() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = false;
  }
  thread_ = std::thread([this] {
    set_thread_name("db-lease");
    run();
  });
}

void LeaseKeeper::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void LeaseKeeper::renew_once() {
  bool believes_master = false, majority = true;
  if (auto group = core_.lease_group()) {
    auto me = core_.my_address();
    believes_master = me && group->view().master == *me;
    if (believes_master) majority = group->in_majority(FailoverReconciler::kMajorityWindow);
  }
  bool may = may_renew_lease(believes_master, majority);
  if (core_.lease_withheld.exchange(!may) != !may) {
    if (may) core_.log->info("database: the agents' majority is back: renewing PostgreSQL's lease again");
    else
      core_.log->warn(
          "database: this master reaches no majority of the agents: its PostgreSQL's lease is not renewed (the "
          "guard stops it when the lease ends)");
  }
  if (may) core_.pg.guard().renew(kLeaseLength);
}

void LeaseKeeper::run() {
  for (;;) {  // renews first, then waits: a guard started now gets its renewal at once
    renew_once();
    std::unique_lock lock(mutex_);
    if (wake_.wait_for(lock, kLeaseRenewEvery, [this] { return stopping_; })) return;
  }
}

}  // namespace convene::dbcluster
