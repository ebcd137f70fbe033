#pragma once
// Which database the node's call bridge keeps its meeting spaces in:
// the PostgreSQL database cluster when this node's cluster is enabled, else the
// SQLite file in DIR/state/callbridge.
//
// The connection string (every member, target_session_attrs=read-write; the
// agent's application_conninfo) goes to DIR/state/callbridge/spaces.conninfo,
// which the call bridge reads before each connection. It holds file paths, no
// secret; a file keeps the child's command line the same while members change.
//
// How the running call bridge follows the node's state: `database cluster
// initialize` and `join` restart it when they succeed (the seed's "the callbridge
// will restart at the end of this procedure"); `remove` ends in the background,
// so the daemon's follower (follow_spaces_database, about once a second) restarts
// it once the store it should use differs from the one it was started with, and
// otherwise only rewrites the connection file when the member list changed — a
// master change or a new member never restarts the call bridge (its occupants
// would have to re-join).
#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

#include "admin/callbridge_settings.h"
#include "util/result.h"

namespace convene {

namespace dbcluster {
class Agent;
}

struct SpacesDatabase {
  bool postgres = false;
  std::string conninfo;  // postgres only
};

// From the agent (null in tests without one: SQLite).
SpacesDatabase spaces_database(dbcluster::Agent* agent);

// Writes the connection file (0600, atomically) unless it already says `conninfo`.
// True when it was (re)written.
Result<bool> write_spaces_conninfo(const CallbridgeFiles& files, const std::string& conninfo);

// One step of the follower: under the call bridge's mutex, if the enabled call
// bridge runs on the other store, restart it; if it runs on PostgreSQL, keep the
// connection file current.
void follow_spaces_database(Daemon& daemon);

// Restarts an enabled call bridge after initialize/join (the store may have changed).
void restart_callbridge_for_database(Daemon& daemon, const std::string& why);

// Runs `step` every `period` on a thread of its own, named `name`, until stopped.
class PeriodicTask {
 public:
  PeriodicTask(std::string name, std::chrono::milliseconds period, std::function<void()> step);
  ~PeriodicTask();
  void stop();

 private:
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace convene
