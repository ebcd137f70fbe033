#pragma once
// A node: what one convened owns and what command handlers reach through it. Later
// subsystems (XMPP service, cluster member, database agent) hang off this class.
//
// Thread-safety: the members are safe to use from admin conversation threads.
#include <memory>
#include <string>

#include "node/config_store.h"
#include "node/dir_lock.h"
#include "node/interfaces.h"
#include "node/node_paths.h"

namespace convene {

class Node {
 public:
  struct Options {
    std::filesystem::path dir;
    std::string name;  // shown in the shell's prompt; defaults to the directory's name
    Interfaces interfaces;
  };

  // Creates the directory layout, takes the directory lock, loads the configuration.
  static Result<std::unique_ptr<Node>> open(Options options);

  const std::string& name() const { return name_; }
  const NodePaths& paths() const { return paths_; }
  const Interfaces& interfaces() const { return interfaces_; }
  ConfigStore& config() { return *config_; }

 private:
  Node(NodePaths paths, std::string name, Interfaces interfaces)
      : paths_(std::move(paths)), name_(std::move(name)), interfaces_(std::move(interfaces)) {}

  NodePaths paths_;
  std::string name_;
  Interfaces interfaces_;
  std::unique_ptr<DirLock> lock_;
  std::unique_ptr<ConfigStore> config_;
};

}  // namespace convene
