#include "node/node.h"

namespace convene {

Result<std::unique_ptr<Node>> Node::open(Options options) {
  auto dir = std::filesystem::absolute(options.dir).lexically_normal();
  if (dir.has_filename() == false) dir = dir.parent_path();
  NodePaths paths(dir);
  CONVENE_TRY(paths.create());
  auto lock = DirLock::acquire(paths.lock());
  if (!lock) return lock.error();
  auto config = ConfigStore::open(paths.config());
  if (!config) return config.error();
  std::string name = options.name.empty() ? dir.filename().string() : options.name;
  std::unique_ptr<Node> node(new Node(paths, name, std::move(options.interfaces)));
  node->lock_ = std::move(*lock);
  node->config_ = std::move(*config);
  return node;
}

}  // namespace convene
