#pragma once
// The node's backups (the `backup` commands, seed 004): snapshot, list, check and
// rollback of the node's configuration, keys and certificates (the file area),
// XMPP state (DIR/state/xmpp) and application database (`convene`, by pg_dump),
// as one encrypted and authenticated .bak file in the file area, sealed with the
// operator's passphrase (backup_archive.h).
//
// Files are read as they are, never through a link: a symbolic link or special
// file in the file area is left out of a snapshot (and said so). A rollback
// writes regular files only, mode 0600 whatever the archive says, and restores
// the database as a restricted role (database_restore.h); a wrong passphrase or
// a changed file is refused before anything changes.
//
// A rollback restores the configuration except the database cluster membership
// (`enabled`, `master`: live state, not configuration), and the database only on
// a master (a slave follows its master's).
//
// Thread-safety: snapshot and rollback run inside the database agent's
// with_database(), so they never overlap a database command, a remove or a
// failover round; list and check read files only. A NodeBackup is a view on the
// node and agent: cheap to make per command.
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "util/result.h"

namespace convene {
class Node;
}

namespace convene::dbcluster {
class Agent;
}

namespace convene::backup {

class NodeBackup {
 public:
  NodeBackup(Node& node, dbcluster::Agent& agent) : node_(node), agent_(agent) {}

  // The file name written; `say` hears of files left out (links, special files).
  Result<std::string> snapshot(const std::string& name, std::string_view passphrase,
                               const std::function<void(const std::string&)>& say);
  Result<std::vector<std::string>> list();
  // Reads and opens <name>.bak; returns a one-line description for the question.
  Result<std::string> check(const std::string& name, std::string_view passphrase);
  Status rollback(const std::string& name, std::string_view passphrase,
                  const std::function<void(const std::string&)>& say);

 private:
  Node& node_;
  dbcluster::Agent& agent_;
};

}  // namespace convene::backup
