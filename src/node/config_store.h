#pragma once
// The node's configuration: one JSON document in DIR/config.json, each subsystem in
// its own top-level section ("xmpp", "database", ...). Every update is written
// atomically before it returns, so a kill -9 leaves either the old or the new file.
//
// Thread-safe: admin conversations run on their own threads.
#include <filesystem>
#include <functional>
#include <mutex>

#include <nlohmann/json.hpp>

#include "util/result.h"

namespace convene {

class ConfigStore {
 public:
  // Loads `path` (an absent file is an empty configuration).
  static Result<std::unique_ptr<ConfigStore>> open(std::filesystem::path path);

  // A copy of one section (null when absent).
  nlohmann::json section(const std::string& name) const;

  // Applies `change` to a copy of the section and persists it; if `change` fails or
  // the write fails, nothing changes.
  Status update(const std::string& name, const std::function<Status(nlohmann::json&)>& change);

 private:
  explicit ConfigStore(std::filesystem::path path, nlohmann::json doc)
      : path_(std::move(path)), doc_(std::move(doc)) {}
  std::filesystem::path path_;
  mutable std::mutex mutex_;
  nlohmann::json doc_;
};

// A section (or an object inside one) as typed readers take it: absent or not an
// object reads as an empty object, so every key takes its default.
const nlohmann::json& object_or_empty(const nlohmann::json& j);

}  // namespace convene
