#include "callbridge/postgres_space_store.h"

#include "util/log.h"

namespace convene::callbridge {

namespace {

class PostgresSpaceStore final : public SpaceStore {
 public:
  explicit PostgresSpaceStore(PostgresStoreOptions options)
      : bridge_(std::move(options.bridge)),
        import_(std::move(options.import)),
        session_(std::move(options.conninfo), [this](PgSession& s) { return prepare(s); }, options.retry) {}

  Result<bool> ensure(const std::string& name) override {
    bool created = false;
    auto st = session_.run([&]() -> Status {
      auto rows = session_.exec(
          "INSERT INTO callbridge.spaces (name, created_unix) VALUES ($1, extract(epoch FROM now())::bigint) "
          "ON CONFLICT DO NOTHING RETURNING name",
          {name});
      if (!rows) return rows.error();
      created = !rows->empty();
      return ok_status();
    });
    note(st);
    if (!st) return make_error("cannot create space " + name + ": " + st.error().message);
    return created;
  }

  Result<std::vector<std::string>> list() override {
    std::vector<std::string> names;
    auto st = session_.run([&]() -> Status {
      auto rows = session_.exec("SELECT name FROM callbridge.spaces ORDER BY name");
      if (!rows) return rows.error();
      names.clear();
      for (auto& r : *rows) names.push_back(r[0].value_or(""));
      return ok_status();
    });
    note(st);
    if (!st) return make_error("cannot list the spaces: " + st.error().message);
    return names;
  }

  Status remove(const std::string& name) override {
    auto st = session_.run([&]() -> Status {
      for (const char* table : {"space_history", "space_settings"}) {
        auto gone = session_.exec(std::string("DELETE FROM callbridge.") + table + " WHERE name = $1", {name});
        if (!gone) return gone.error();
      }
      auto rows = session_.exec("DELETE FROM callbridge.spaces WHERE name = $1", {name});
      if (!rows) return rows.error();
      return ok_status();
    });
    note(st);
    if (!st) return make_error("cannot remove space " + name + ": " + st.error().message);
    return ok_status();
  }

  Result<std::map<std::string, std::string>> settings() override {
    std::map<std::string, std::string> out;
    auto st = session_.run([&]() -> Status {
      auto rows = session_.exec("SELECT name, settings FROM callbridge.space_settings");
      if (!rows) return rows.error();
      out.clear();
      for (auto& r : *rows) out[r[0].value_or("")] = r[1].value_or("");
      return ok_status();
    });
    note(st);
    if (!st) return make_error("cannot read the space settings: " + st.error().message);
    return out;
  }

  Status save_settings(const std::string& name, const std::string& settings_json) override {
    auto st = session_.run([&]() -> Status {
      auto rows = session_.exec(
          "INSERT INTO callbridge.space_settings (name, settings) VALUES ($1, $2) "
          "ON CONFLICT (name) DO UPDATE SET settings = excluded.settings",
          {name, settings_json});
      if (!rows) return rows.error();
      return ok_status();
    });
    note(st);
    if (!st) return make_error("cannot save the settings of space " + name + ": " + st.error().message);
    return ok_status();
  }

  Status add_history(const std::string& name, const HistoryEntry& entry, int keep) override {
    auto st = session_.run([&]() -> Status {
      auto added = session_.exec("INSERT INTO callbridge.space_history (name, at_ms, stanza) VALUES ($1, $2, $3)",
                                 {name, std::to_string(entry.at_ms), entry.stanza});
      if (!added) return added.error();
      auto trimmed = session_.exec(
          "DELETE FROM callbridge.space_history WHERE name = $1 AND id NOT IN "
          "(SELECT id FROM callbridge.space_history WHERE name = $1 ORDER BY id DESC LIMIT $2)",
          {name, std::to_string(keep)});
      if (!trimmed) return trimmed.error();
      return ok_status();
    });
    note(st);
    if (!st) return make_error("cannot keep the history of space " + name + ": " + st.error().message);
    return ok_status();
  }

  Result<std::vector<HistoryEntry>> history(const std::string& name) override {
    std::vector<HistoryEntry> out;
    auto st = session_.run([&]() -> Status {
      auto rows = session_.exec("SELECT at_ms, stanza FROM callbridge.space_history WHERE name = $1 ORDER BY id",
                                {name});
      if (!rows) return rows.error();
      out.clear();
      for (auto& r : *rows) out.push_back({std::stoll(r[0].value_or("0")), r[1].value_or("")});
      return ok_status();
    });
    note(st);
    if (!st) return make_error("cannot read the history of space " + name + ": " + st.error().message);
    return out;
  }

  StoreInfo info() const override {
    int n = session_.hosts();
    return {"PostgreSQL", "cluster of " + std::to_string(n) + (n == 1 ? " node" : " nodes"), session_.server(),
            problem_};
  }

 private:
  void note(const Status& st) { problem_ = st ? "" : st.error().message; }

  // On every new connection: the tables, then the one-time copy of the SQLite spaces.
  Status prepare(PgSession& s) {
    auto have = s.exec(
        "SELECT to_regclass('callbridge.spaces') IS NOT NULL AND to_regclass('callbridge.imports') IS NOT NULL "
        "AND to_regclass('callbridge.space_settings') IS NOT NULL AND to_regclass('callbridge.space_history') IS NOT NULL");
    if (!have) return have.error();
    if (have->empty() || (*have)[0][0].value_or("") != "t") {
      // Checked first: CREATE ... IF NOT EXISTS needs the CREATE right even when the table exists.
      auto made = s.exec(
          "CREATE TABLE IF NOT EXISTS callbridge.spaces (name text PRIMARY KEY, created_unix bigint NOT NULL);"
          "CREATE TABLE IF NOT EXISTS callbridge.imports (bridge text PRIMARY KEY, spaces integer NOT NULL, "
          "imported timestamptz NOT NULL DEFAULT now());"
          "CREATE TABLE IF NOT EXISTS callbridge.space_settings (name text PRIMARY KEY, settings text NOT NULL);"
          "CREATE TABLE IF NOT EXISTS callbridge.space_history (id bigserial PRIMARY KEY, name text NOT NULL, "
          "at_ms bigint NOT NULL, stanza text NOT NULL);");
      if (!made)
        return make_error("cannot create the spaces tables: " + made.error().message,
                          "Run 'database cluster initialize' with this version on the master: it creates the "
                          "schema and role the call bridge uses.");
    }
    if (imported_ || import_.empty()) return ok_status();
    CONVENE_TRY(s.exec("BEGIN"));
    auto copied = copy_sqlite_spaces(s);
    if (!copied) {
      (void)s.exec("ROLLBACK");
      return make_error("cannot copy the SQLite spaces: " + copied.error().message);
    }
    CONVENE_TRY(s.exec("COMMIT"));
    imported_ = true;
    if (*copied >= 0)
      logger("callbridge")->info("copied {} of {} SQLite spaces into PostgreSQL (first start of {} there)", *copied,
                                 import_.size(), bridge_);
    return ok_status();
  }

  // Inside a transaction: -1 when this bridge's spaces were copied before, else how many were new.
  Result<int> copy_sqlite_spaces(PgSession& s) {
    auto mine = s.exec("INSERT INTO callbridge.imports (bridge, spaces) VALUES ($1, $2) ON CONFLICT DO NOTHING "
                       "RETURNING bridge",
                       {bridge_, std::to_string(import_.size())});
    if (!mine) return mine.error();
    if (mine->empty()) return -1;
    int added = 0;
    for (auto& space : import_) {
      auto rows = s.exec("INSERT INTO callbridge.spaces (name, created_unix) VALUES ($1, $2) ON CONFLICT DO NOTHING "
                         "RETURNING name",
                         {space.name, std::to_string(space.created_unix)});
      if (!rows) return rows.error();
      added += static_cast<int>(rows->size());
    }
    return added;
  }

  std::string bridge_;
  std::vector<SpaceRecord> import_;
  bool imported_ = false;
  std::string problem_;
  PgSession session_;
};

}  // namespace

Result<std::unique_ptr<SpaceStore>> open_postgres_space_store(PostgresStoreOptions options) {
  auto info = options.conninfo();
  if (!info) return info.error();
  CONVENE_TRY(conninfo_host_count(*info));
  // No connection yet: the first operation (Spaces reads the list at once) makes it.
  return std::unique_ptr<SpaceStore>(std::make_unique<PostgresSpaceStore>(std::move(options)));
}

}  // namespace convene::callbridge
