#pragma once
// Where meeting spaces are kept. A space is created the first time someone joins
// it (or by an operator) and stays until removed, so spaces survive call-bridge
// restarts. Occupants are not stored: they are live sessions and re-join after a
// restart, as XEP-0045 clients do.
//
// Two implementations: a SQLite file (sqlite_space_store.h, the embedded default,
// no server) and the PostgreSQL database cluster (postgres_space_store.h, when the
// node's database cluster is enabled).
//
// Thread-safety: a store is used by one thread at a time (the connector's).
#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "util/result.h"

namespace convene::callbridge {

struct SpaceRecord {
  std::string name;
  int64_t created_unix = 0;
};

// One groupchat message kept for the discussion history sent on join (XEP-0045 §7.2.15).
struct HistoryEntry {
  int64_t at_ms = 0;    // when the space sent it (Unix time, ms)
  std::string stanza;   // the <message/> as occupants got it, without 'to'
  bool operator==(const HistoryEntry&) const = default;
};

// What the status report says about the store.
struct StoreInfo {
  std::string kind;      // "SQLite" or "PostgreSQL"
  std::string where;     // the file, or "cluster of 3 nodes"
  std::string server;    // PostgreSQL: "host:port" of the current connection, empty when none
  std::string problem;   // the last failure, empty once an operation succeeded again
  bool operator==(const StoreInfo&) const = default;
};

class SpaceStore {
 public:
  virtual ~SpaceStore() = default;
  // Ensure the space exists; true when it was created now.
  virtual Result<bool> ensure(const std::string& name) = 0;
  virtual Result<std::vector<std::string>> list() = 0;
  // Removes the space with its settings and history.
  virtual Status remove(const std::string& name) = 0;
  // Every space's settings document (room_settings.h), by space name; spaces without one are absent.
  virtual Result<std::map<std::string, std::string>> settings() = 0;
  virtual Status save_settings(const std::string& name, const std::string& settings_json) = 0;
  // Appends to the space's history and drops all but its newest `keep` entries.
  virtual Status add_history(const std::string& name, const HistoryEntry& entry, int keep) = 0;
  // The same for several entries (space name, entry), in order; a store that can
  // keep them in one transaction does (one commit for a burst of group messages).
  virtual Status add_histories(const std::vector<std::pair<std::string, HistoryEntry>>& entries, int keep) {
    for (auto& [name, entry] : entries) CONVENE_TRY(add_history(name, entry, keep));
    return ok_status();
  }
  // The space's history, oldest first.
  virtual Result<std::vector<HistoryEntry>> history(const std::string& name) = 0;
  virtual StoreInfo info() const = 0;
};

}  // namespace convene::callbridge
