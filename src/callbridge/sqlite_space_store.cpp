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
    Stmt st;
    if (sqlite3_prepare_v2(db_, "DELETE FROM spaces WHERE name = ?", -1, &st.s, nullptr) != SQLITE_OK)
      return failed(db_error(db_, "spaces"));
    sqlite3_bind_text(st.s, 1, name.c_str(), -1, SQLITE_TRANSIENT);
    if (sqlite3_step(st.s) != SQLITE_DONE) return failed(db_error(db_, "cannot remove space " + name));
    problem_.clear();
    return ok_status();
  }

  StoreInfo info() const override { return {"SQLite", path_, "", problem_}; }

 private:
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
      "CREATE TABLE IF NOT EXISTS spaces (name TEXT PRIMARY KEY, created_unix INTEGER NOT NULL);";
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
