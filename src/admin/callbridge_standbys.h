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
// TLS: a standby connects with STARTTLS whenever this node's XMPP service has a
// certificate, and verifies the server against that certificate (`xmpp certs`),
// with the domain in it. Why this node's certificate and not the bridge's own
// `callbridge trust`: that setting lives on the bridge's node, names a file there,
// and vouches for whichever servers that node's bridge reaches; a standby only
// ever talks to its own node's server, whose certificate is exactly what it must
// find. So a standby never sends its secret in the clear where TLS is on offer,
// whether or not its bridge's own node asks for TLS, with nothing to replicate.
//
// Files: DIR/state/callbridge/standby/<name>/ (secret 0600, spaces.sqlite,
// spaces.conninfo when the spaces are in the database cluster, status.json) and
// DIR/logs/callbridge-standby-<name>.log.
//
// Thread-safety: follow() from one thread (the daemon's periodic task); stop() after
// that task stopped; views() from any thread (status).
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
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
  // A standby as status shows it: its process now and the file it reports in.
  struct View {
    std::string name;
    SupervisedState process;
    std::filesystem::path status_file;
    bool tls = false;  // started with STARTTLS (this node's XMPP service has a certificate)
  };
  std::vector<View> views() const;

 private:
  struct Standby {
    std::vector<std::string> argv;
    std::string secret;
    std::shared_ptr<CallbridgeSupervisor> supervisor;
  };
  mutable std::mutex mu_;  // guards running_'s shape; never held while a process starts or stops
  std::map<std::string, Standby> running_;
};

}  // namespace convene
