#include "callbridge/sqlite_space_store.h"

#include <sqlite3.h>

#include <chrono>
#include <filesystem>

namespace convene::callbridge {

namespace {
Error db_error(sqlite3* db, const std::string& what) { return make_error(what + ": " + sqlite3_errmsg(db)); }

struct Stmt {
  sqlite3_stmt* s = nullptr;
  ~Stmt() { sqlite3_finalize(s); }
};

class SqliteSpaceStore final : public SpaceStore {
 public:
  SqliteSpaceStore(sqlite3* db, std::string path) : db_(db), path_(std::move(path)) {}
  ~SqliteSpaceStore() override { sqlite3_close(db_); }

  Result<bool> ensure(const std::string& name) override {
    Stmt st;
    if (sqlite3_prepare_v2(db_, "INSERT OR IGNORE INTO spaces(name, created_unix) VALUES(?, ?)", -1, &st.s,
                           nullptr) != SQLITE_OK)
      return failed(db_error(db_, "spaces"));
    auto now = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch());
    sqlite3_bind_text(st.s, 1, name.c_str(), -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st.s, 2, now.count());
    if (sqlite3_step(st.s) != SQLITE_DONE) return failed(db_error(db_, "cannot create space " + name));
    problem_.clear();
    return sqlite3_changes(db_) > 0;
  }

  Result<std::vector<std::string>> list() override {
    Stmt st;
    if (sqlite3_prepare_v2(db_, "SELECT name FROM spaces ORDER BY name", -1, &st.s, nullptr) != SQLITE_OK)
      return failed(db_error(db_, "spaces"));
    std::vector<std::string> out;
    int rc;
    while ((rc = sqlite3_step(st.s)) == SQLITE_ROW)
      out.emplace_back(reinterpret_cast<const char*>(sqlite3_column_text(st.s, 0)));
    if (rc != SQLITE_DONE) return failed(db_error(db_, "spaces"));
    problem_.clear();
    return out;
  }

  Status remove(const std::string& name) override {
    for (const char* sql : {"DELETE FROM space_history WHERE name = ?", "DELETE FROM space_settings WHERE name = ?",
                            "DELETE FROM spaces WHERE name = ?"})
      CONVENE_TRY(run(sql, {name}, "cannot remove space " + name));
    problem_.clear();
    return ok_status();
  }

  Result<std::map<std::string, std::string>> settings() override {
    Stmt st;
    if (sqlite3_prepare_v2(db_, "SELECT name, settings FROM space_settings", -1, &st.s, nullptr) != SQLITE_OK)
      return failed(db_error(db_, "space settings"));
    std::map<std::string, std::string> out;
    int rc;
    while ((rc = sqlite3_step(st.s)) == SQLITE_ROW)
      out[reinterpret_cast<const char*>(sqlite3_column_text(st.s, 0))] =
          reinterpret_cast<const char*>(sqlite3_column_text(st.s, 1));
    if (rc != SQLITE_DONE) return failed(db_error(db_, "space settings"));
    problem_.clear();
    return out;
  }

  Status save_settings(const std::string& name, const std::string& settings_json) override {
    CONVENE_TRY(run("INSERT INTO space_settings(name, settings) VALUES(?, ?) "
                    "ON CONFLICT(name) DO UPDATE SET settings = excluded.settings",
                    {name, settings_json}, "cannot save the settings of space " + name));
    problem_.clear();
    return ok_status();
  }

  // One transaction for the entries and their trims: one commit (one WAL sync) for what
  // a space gathered (Spaces writes its history behind), not two per group message; in a
  // busy space the syncs were what paced its messages.
  Status add_history(const std::string& name, const HistoryEntry& entry, int keep) override {
    return add_histories({{name, entry}}, keep);
  }

  Status add_histories(const std::vector<std::pair<std::string, HistoryEntry>>& entries, int keep) override {
    if (entries.empty()) return ok_status();
    CONVENE_TRY(run("BEGIN IMMEDIATE", {}, "cannot keep the history of space " + entries.front().first));
    for (auto& [name, entry] : entries) {
      auto st = add_and_trim(name, entry, keep);
      if (!st) {
        (void)run("ROLLBACK", {}, "cannot roll back the history of space " + name);
        return failed(st.error());
      }
    }
    CONVENE_TRY(run("COMMIT", {}, "cannot keep the history of space " + entries.front().first));
    problem_.clear();
    return ok_status();
  }

  Result<std::vector<HistoryEntry>> history(const std::string& name) override {
    Stmt st;
    if (sqlite3_prepare_v2(db_, "SELECT at_ms, stanza FROM space_history WHERE name = ? ORDER BY rowid", -1, &st.s,
                           nullptr) != SQLITE_OK)
      return failed(db_error(db_, "space history"));
    sqlite3_bind_text(st.s, 1, name.c_str(), -1, SQLITE_TRANSIENT);
    std::vector<HistoryEntry> out;
    int rc;
    while ((rc = sqlite3_step(st.s)) == SQLITE_ROW)
      out.push_back({sqlite3_column_int64(st.s, 0), reinterpret_cast<const char*>(sqlite3_column_text(st.s, 1))});
    if (rc != SQLITE_DONE) return failed(db_error(db_, "space history"));
    problem_.clear();
    return out;
  }

  StoreInfo info() const override { return {"SQLite", path_, "", problem_}; }

 private:
  Status add_and_trim(const std::string& name, const HistoryEntry& entry, int keep) {
    CONVENE_TRY(run("INSERT INTO space_history(name, at_ms, stanza) VALUES(?, ?, ?)",
                    {name, std::to_string(entry.at_ms), entry.stanza}, "cannot keep the history of space " + name));
    return run("DELETE FROM space_history WHERE name = ?1 AND rowid NOT IN "
               "(SELECT rowid FROM space_history WHERE name = ?1 ORDER BY rowid DESC LIMIT ?2)",
               {name, std::to_string(keep)}, "cannot trim the history of space " + name);
  }

  // One statement with text parameters (SQLite converts numbers by the column's affinity).
  Status run(const char* sql, std::initializer_list<std::string> params, const std::string& what) {
    Stmt st;
    if (sqlite3_prepare_v2(db_, sql, -1, &st.s, nullptr) != SQLITE_OK) return failed(db_error(db_, what));
    int i = 0;
    for (auto& p : params) sqlite3_bind_text(st.s, ++i, p.c_str(), -1, SQLITE_TRANSIENT);
    if (sqlite3_step(st.s) != SQLITE_DONE) return failed(db_error(db_, what));
    return ok_status();
  }

  Error failed(Error e) {
    problem_ = e.message;
    return e;
  }

  sqlite3* db_;
  std::string path_;
  std::string problem_;
};
}  // namespace

Result<std::unique_ptr<SpaceStore>> open_sqlite_space_store(const std::string& path) {
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX,
                      nullptr) != SQLITE_OK) {
    auto err = make_error("cannot open the spaces database " + path + ": " + (db ? sqlite3_errmsg(db) : "out of memory"));
    sqlite3_close(db);
    return err;
  }
  sqlite3_busy_timeout(db, 2000);
  char* msg = nullptr;
  const char* schema =
      "PRAGMA journal_mode=WAL;"
      "CREATE TABLE IF NOT EXISTS spaces (name TEXT PRIMARY KEY, created_unix INTEGER NOT NULL);"
      "CREATE TABLE IF NOT EXISTS space_settings (name TEXT PRIMARY KEY, settings TEXT NOT NULL);"
      "CREATE TABLE IF NOT EXISTS space_history (name TEXT NOT NULL, at_ms INTEGER NOT NULL, stanza TEXT NOT NULL);"
      "CREATE INDEX IF NOT EXISTS space_history_by_name ON space_history(name);";
  if (sqlite3_exec(db, schema, nullptr, nullptr, &msg) != SQLITE_OK) {
    std::string text = msg ? msg : "?";
    sqlite3_free(msg);
    sqlite3_close(db);
    return make_error("cannot prepare the spaces database " + path + ": " + text);
  }
  return std::unique_ptr<SpaceStore>(new SqliteSpaceStore(db, path));
}

Result<std::vector<SpaceRecord>> read_sqlite_spaces(const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) return std::vector<SpaceRecord>{};
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK) {
    auto err = make_error("cannot open the spaces database " + path + ": " + (db ? sqlite3_errmsg(db) : "out of memory"));
    sqlite3_close(db);
    return err;
  }
  sqlite3_busy_timeout(db, 2000);
  std::vector<SpaceRecord> out;
  Status st;
  {
    Stmt s;
    if (sqlite3_prepare_v2(db, "SELECT name, created_unix FROM spaces ORDER BY name", -1, &s.s, nullptr) != SQLITE_OK) {
      st = db_error(db, "cannot read the spaces of " + path);
    } else {
      int rc;
      while ((rc = sqlite3_step(s.s)) == SQLITE_ROW)
        out.push_back({reinterpret_cast<const char*>(sqlite3_column_text(s.s, 0)), sqlite3_column_int64(s.s, 1)});
      if (rc != SQLITE_DONE) st = db_error(db, "cannot read the spaces of " + path);
    }
  }
  sqlite3_close(db);
  if (!st) return st.error();
  return out;
}

}  // namespace convene::callbridge
