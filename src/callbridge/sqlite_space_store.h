#pragma once
// Meeting spaces in a SQLite file (embedded, no server): the call bridge's store
// when the node is not in a database cluster, and the source of the one-time copy
// into PostgreSQL when it joins one (postgres_space_store.h).
#include <memory>
#include <string>
#include <vector>

#include "callbridge/space_store.h"

namespace convene::callbridge {

// Opens (creating if needed) the file and its table.
Result<std::unique_ptr<SpaceStore>> open_sqlite_space_store(const std::string& path);

// Every space of the file, read-only; an empty list when the file does not exist
// (nothing is created).
Result<std::vector<SpaceRecord>> read_sqlite_spaces(const std::string& path);

}  // namespace convene::callbridge
