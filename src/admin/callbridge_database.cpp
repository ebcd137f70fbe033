#include "admin/callbridge_database.h"

#include "admin/daemon.h"
#include "dbcluster/agent.h"
#include "node/node.h"
#include "util/files.h"
#include "util/log.h"
#include "util/thread_name.h"

namespace convene {

SpacesDatabase spaces_database(dbcluster::Agent* agent) {
  if (!agent || !agent->in_cluster()) return {};
  auto conninfo = agent->application_conninfo();
  if (!conninfo) {
    // In the cluster, but no connection string (the interface gone): the bridge
    // would find no database either way; SQLite keeps it working meanwhile.
    logger("callbridge")->warn("spaces stay in SQLite: {}", conninfo.error().message);
    return {};
  }
  return {true, *conninfo};
}

Result<bool> write_spaces_conninfo(const CallbridgeFiles& files, const std::string& conninfo) {
  auto old = read_file(files.conninfo);
  if (old && *old == conninfo + "\n") return false;
  CONVENE_TRY(make_dirs(files.dir, true));
  CONVENE_TRY(write_file_atomic(files.conninfo, conninfo + "\n", 0600));
  return true;
}

void follow_spaces_database(Daemon& daemon) {
  std::lock_guard lock(daemon.callbridge_mutex());
  if (!callbridge_config(daemon.node().config()).enabled || !daemon.callbridge().state().supervising) return;
  auto db = spaces_database(daemon.database_if_open());
  auto log = logger("callbridge");
  if (db.postgres != daemon.callbridge_on_postgres()) {
    log->info("the node's database cluster is {}: restarting the call bridge with its spaces in {}",
              db.postgres ? "enabled" : "disabled", db.postgres ? "PostgreSQL" : "SQLite");
    if (auto st = start_callbridge(daemon); !st) log->error("cannot restart the call bridge: {}", st.error().text());
    return;
  }
  if (!db.postgres) return;
  auto written = write_spaces_conninfo(callbridge_files(daemon.node().paths()), db.conninfo);
  if (!written) log->error("cannot update the spaces connection file: {}", written.error().text());
  else if (*written) log->info("database cluster members changed: the call bridge's connection file rewritten");
}

void restart_callbridge_for_database(Daemon& daemon, const std::string& why) {
  std::lock_guard lock(daemon.callbridge_mutex());
  if (!callbridge_config(daemon.node().config()).enabled) return;
  auto log = logger("callbridge");
  if (auto st = start_callbridge(daemon); !st)
    log->error("cannot restart the call bridge after {}: {}", why, st.error().text());
  else
    log->info("call bridge restarted after {} (spaces in {})", why,
              daemon.callbridge_on_postgres() ? "PostgreSQL" : "SQLite");
}

PeriodicTask::PeriodicTask(std::string name, std::chrono::milliseconds period, std::function<void()> step)
    : thread_([this, name = std::move(name), period, step = std::move(step)] {
        set_thread_name(name);
        std::unique_lock lock(mutex_);
        while (!wake_.wait_for(lock, period, [this] { return stopping_; })) {
          lock.unlock();
          step();
          lock.lock();
        }
      }) {}

PeriodicTask::~PeriodicTask() { stop(); }

void PeriodicTask::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable() && thread_.get_id() != std::this_thread::get_id()) thread_.join();
}

}  // namespace convene
