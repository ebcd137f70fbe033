#pragma once
// The layout of a node directory. One directory holds everything a node owns, so
// several nodes can run on one machine and a node is backed up by copying one tree:
//
//   DIR/config.json   the node's configuration (ConfigStore)
//   DIR/files/        the operator's file area (keys, certificates, CSRs, backups),
//                     what CMS exposes over SFTP; flat, no sub-directories
//   DIR/state/        subsystem state (raft data, database, ...)
//   DIR/logs/         convened.log
//   DIR/mmp.sock      admin socket, mode 0600
//   DIR/convened.lock held (flock) by the running daemon
#include <filesystem>
#include <string>

#include "util/result.h"

namespace convene {

class NodePaths {
 public:
  explicit NodePaths(std::filesystem::path dir) : dir_(std::move(dir)) {}

  const std::filesystem::path& dir() const { return dir_; }
  std::filesystem::path config() const { return dir_ / "config.json"; }
  std::filesystem::path files() const { return dir_ / "files"; }
  std::filesystem::path state() const { return dir_ / "state"; }
  std::filesystem::path logs() const { return dir_ / "logs"; }
  std::filesystem::path admin_socket() const { return dir_ / "mmp.sock"; }
  std::filesystem::path lock() const { return dir_ / "convened.lock"; }

  // A file of the file area by its plain name; fails on names with a directory part.
  Result<std::filesystem::path> file(const std::string& name) const;
  // As file(), and the file must exist.
  Result<std::filesystem::path> existing_file(const std::string& name) const;

  // Creates the layout (idempotent).
  Status create() const;

 private:
  std::filesystem::path dir_;
};

}  // namespace convene
