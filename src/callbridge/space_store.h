#pragma once
// Meeting spaces on disk: a SQLite file (embedded, no server). A space is created
// the first time someone joins it (or by an operator, later through mmp) and stays
// until removed, so spaces survive call-bridge restarts. Occupants are not stored:
// they are live sessions and re-join after a restart, as XEP-0045 clients do.
//
// Thread-safety: one SpaceStore per thread (the connector's).
#include <memory>
#include <string>
#include <vector>

#include "util/result.h"

struct sqlite3;

namespace convene::callbridge {

class SpaceStore {
 public:
  static Result<std::unique_ptr<SpaceStore>> open(const std::string& path);
  ~SpaceStore();

  // Ensure the space exists; true when it was created now.
  Result<bool> ensure(const std::string& name);
  bool exists(const std::string& name);
  Result<std::vector<std::string>> list();
  Status remove(const std::string& name);

 private:
  explicit SpaceStore(sqlite3* db) : db_(db) {}
  sqlite3* db_;
};

}  // namespace convene::callbridge
