#pragma once
// Standby call bridges: on a node of an XMPP cluster, convened runs one
// `convene-callbridge --standby` for every call bridge of the cluster
// (`xmpp callbridge list`, replicated with its secret) that this node does not serve
// itself. Each connects to this node's own XMPP service and is let in only while no
// instance anywhere holds the name (xmpp/component.h); so when the node serving a
// bridge dies, its name is taken over here (or on another node) as soon as the
// cluster drops the dead node, and the spaces go on with their occupants, which the
// service kept (xmpp/component_occupants.h). A standby yields to any other claim:
// the bridge's own instance, back with its node, gets its name back.
//
// Why every node and not one chosen node: the one chosen could be the one that
// died; the server's claim rule already makes sure only one instance serves a name.
//
// Files: DIR/state/callbridge/standby/<name>/ (secret 0600, spaces.sqlite,
// spaces.conninfo when the spaces are in the database cluster, status.json) and
// DIR/logs/callbridge-standby-<name>.log.
//
// Thread-safety: follow() from one thread (the daemon's periodic task); stop() after
// that task stopped.
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "admin/callbridge_supervisor.h"

namespace convene {

class Daemon;

class CallbridgeStandbys {
 public:
  // Starts the standbys this node should run now and stops the others.
  void follow(Daemon& daemon);
  void stop();
  // Names of the standbys running now, for status.
  std::vector<std::string> names() const;

 private:
  struct Standby {
    std::vector<std::string> argv;
    std::string secret;
    std::unique_ptr<CallbridgeSupervisor> supervisor;
  };
  std::map<std::string, Standby> running_;
};

}  // namespace convene
