#include "node/node_id.h"

#include <cstdio>
#include <filesystem>

#include "node/node.h"
#include "util/files.h"
#include "util/random.h"
#include "util/strings.h"

namespace convene {

namespace fs = std::filesystem;

Result<std::uint64_t> node_id(Node& node) {
  fs::path path = node.paths().state() / "node-id";
  std::error_code ec;
  if (fs::exists(path, ec)) {
    auto text = read_file(path);
    if (!text) return text.error();
    std::string t = trim(*text);
    try {
      std::uint64_t id = std::stoull(t, nullptr, 16);
      if (id != 0) return id;
    } catch (...) {
    }
    return make_error("'" + path.string() + "' does not hold a node id",
                      "Move the file away: a new id is made (the node joins the cluster as a new member).");
  }
  std::uint64_t id = 0;
  while (id == 0) id = random_u64();
  id &= 0x7fffffffffffffffull;  // stays positive wherever it is printed signed
  if (id == 0) id = 1;
  char text[32];
  std::snprintf(text, sizeof text, "%016llx\n", static_cast<unsigned long long>(id));
  // Never make_dirs() an existing state dir: it would chmod it 0700 and cut the
  // node's PostgreSQL (which runs as postgres) off its files.
  if (!fs::exists(node.paths().state(), ec)) CONVENE_TRY(make_dirs(node.paths().state(), true));
  CONVENE_TRY(write_file_atomic(path, text, 0600));
  return id;
}

}  // namespace convene
