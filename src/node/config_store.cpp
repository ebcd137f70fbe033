#include "node/config_store.h"

#include "util/files.h"

namespace convene {

namespace fs = std::filesystem;

Result<std::unique_ptr<ConfigStore>> ConfigStore::open(fs::path path) {
  nlohmann::json doc = nlohmann::json::object();
  std::error_code ec;
  if (fs::exists(path, ec)) {
    auto text = read_file(path);
    if (!text) return text.error();
    doc = nlohmann::json::parse(*text, nullptr, /*allow_exceptions=*/false);
    if (doc.is_discarded() || !doc.is_object())
      return make_error("configuration '" + path.string() + "' is not valid JSON",
                        "Restore it from a backup (backup rollback) or remove it to start afresh.");
  }
  return std::unique_ptr<ConfigStore>(new ConfigStore(std::move(path), std::move(doc)));
}

nlohmann::json ConfigStore::section(const std::string& name) const {
  std::lock_guard lock(mutex_);
  auto it = doc_.find(name);
  return it == doc_.end() ? nlohmann::json() : *it;
}

Status ConfigStore::update(const std::string& name, const std::function<Status(nlohmann::json&)>& change) {
  std::lock_guard lock(mutex_);
  nlohmann::json next = doc_;
  nlohmann::json& sec = next[name];
  CONVENE_TRY(change(sec));
  if (sec.is_null()) next.erase(name);
  CONVENE_TRY(write_file_atomic(path_, next.dump(2) + "\n", 0600));
  doc_ = std::move(next);
  return ok_status();
}

const nlohmann::json& object_or_empty(const nlohmann::json& j) {
  static const nlohmann::json empty = nlohmann::json::object();
  return j.is_object() ? j : empty;
}

}  // namespace convene
