#include "backup/node_backup.h"

#include <algorithm>
#include <filesystem>

#include <nlohmann/json.hpp>

#include "backup/backup_archive.h"
#include "dbcluster/agent.h"
#include "dbcluster/postgres_instance.h"
#include "dbcluster/process.h"
#include "dbcluster/replication.h"
#include "node/node.h"
#include "util/files.h"
#include "util/log.h"

namespace convene::backup {

namespace fs = std::filesystem;
using json = nlohmann::json;
using dbcluster::kAppDatabase;
using dbcluster::kPort;

namespace {

Result<std::pair<BackupInfo, std::vector<BackupEntry>>> read_backup(const Node& node, const std::string& name) {
  std::string file = name.size() > 4 && name.compare(name.size() - 4, 4, ".bak") == 0 ? name : name + ".bak";
  auto path = node.paths().file(file);
  if (!path) return path.error();
  if (!fs::exists(*path))
    return make_error("backup '" + file + "' not found",
                      "Nothing was changed. 'backup list' shows the backups there are.");
  auto bytes = read_file(*path);
  if (!bytes) return bytes.error();
  return decode_backup(*bytes);
}

unsigned mode_of(const fs::path& p) {
  std::error_code ec;
  auto perms = fs::status(p, ec).permissions();
  return static_cast<unsigned>(perms) & 0777;
}

}  // namespace

Result<std::string> NodeBackup::snapshot(const std::string& name) {
  std::string file = name + ".bak";
  auto st = agent_.with_database([&](dbcluster::PostgresInstance& pg) -> Status {
    auto target = node_.paths().file(file);
    if (!target) return target.error();
    std::vector<BackupEntry> entries;
    auto cfgfile = read_file(node_.paths().config());
    entries.push_back({"config.json", cfgfile ? *cfgfile : "{}", 0600});
    std::error_code ec;
    for (auto& e : fs::directory_iterator(node_.paths().files(), ec)) {
      if (!e.is_regular_file() || e.path().extension() == ".bak") continue;
      auto c = read_file(e.path());
      if (!c) return c.error();
      entries.push_back({"files/" + e.path().filename().string(), *c, mode_of(e.path())});
    }
    auto xmpp = node_.paths().state() / "xmpp";
    if (fs::is_directory(xmpp)) {
      for (auto it = fs::recursive_directory_iterator(xmpp, ec); !ec && it != fs::recursive_directory_iterator();
           it.increment(ec)) {
        if (!it->is_regular_file()) continue;
        auto c = read_file(it->path());
        if (!c) return c.error();
        entries.push_back({"state/xmpp/" + fs::relative(it->path(), xmpp).string(), *c, mode_of(it->path())});
      }
    }
    if (pg.initialized() && pg.running()) {
      auto dump = pg.run_dir() / "snapshot.sql";
      fs::remove(dump, ec);
      // pg_dump takes one consistent snapshot of the database (works on a slave too).
      CONVENE_TRY(dbcluster::run_checked(
          "pg_dump", {"/usr/lib/postgresql/15/bin/pg_dump", "-h", pg.run_dir().string(), "-p", std::to_string(kPort),
                      "-U", "postgres", "--clean", "--if-exists", "--no-owner", "-f", dump.string(), kAppDatabase}));
      auto c = read_file(dump);
      fs::remove(dump, ec);
      if (!c) return c.error();
      entries.push_back({"database/convene.sql", *c, 0600});
    }
    BackupInfo info{dbcluster::now_iso(), node_.name()};
    CONVENE_TRY(write_file_atomic(*target, encode_backup(info, entries), 0600));
    logger("database")->info("backup {} written: {} entries", file, entries.size());
    return ok_status();
  });
  if (!st) return st.error();
  return file;
}

Result<std::vector<std::string>> NodeBackup::list() {
  std::vector<std::string> out;
  std::error_code ec;
  for (auto& e : fs::directory_iterator(node_.paths().files(), ec))
    if (e.is_regular_file() && e.path().extension() == ".bak") out.push_back(e.path().filename().string());
  std::sort(out.begin(), out.end());
  return out;
}

Result<std::string> NodeBackup::check(const std::string& name) {
  auto decoded = read_backup(node_, name);
  if (!decoded) return decoded.error();
  auto& [info, entries] = *decoded;
  return "Backup of node '" + info.node + "' made " + info.created + " (" + std::to_string(entries.size()) + " items)";
}

Status NodeBackup::rollback(const std::string& name, const std::function<void(const std::string&)>& say) {
  return agent_.with_database([&](dbcluster::PostgresInstance& pg) -> Status {
    auto decoded = read_backup(node_, name);  // checked again: the file may have changed since the question
    if (!decoded) return decoded.error();
    auto& entries = decoded->second;
    const BackupEntry* sql = nullptr;
    for (auto& e : entries) {
      if (e.path == "config.json") {
        json doc;
        try {
          doc = json::parse(e.content);
        } catch (const std::exception&) {
          return make_error("the backup's configuration is not JSON", "Nothing was changed.");
        }
        for (auto& [name, value] : doc.items()) {
          const std::string section = name;  // clang 14 cannot capture a structured binding
          auto v = value;
          CONVENE_TRY(node_.config().update(section, [&](json& s) {
            if (section == dbcluster::kConfigSection) {
              // Cluster membership is live state, not configuration: keep it. The
              // raw keys, not DatabaseConfig: a key absent here stays absent.
              for (const char* k : {"enabled", "master"}) {
                if (s.is_object() && s.contains(k)) v[k] = s[k];
                else if (v.is_object()) v.erase(k);
              }
            }
            s = v;
            return ok_status();
          }));
        }
      } else if (e.path.rfind("files/", 0) == 0) {
        CONVENE_TRY(write_file_atomic(node_.paths().dir() / e.path, e.content, e.mode));
      } else if (e.path.rfind("state/xmpp/", 0) == 0) {
        auto p = node_.paths().dir() / e.path;
        CONVENE_TRY(make_dirs(p.parent_path(), true));
        CONVENE_TRY(write_file_atomic(p, e.content, e.mode));
      } else if (e.path == "database/convene.sql") {
        sql = &e;
      }
    }
    say("Configuration, keys and certificates restored");
    if (sql) {
      auto rec = pg.running() ? pg.in_recovery() : Result<bool>(make_error("not running"));
      if (!rec) {
        say("Database not restored: the local database is not running");
      } else if (*rec) {
        say("Database not restored here: this node is a slave; roll back on the master and the slaves follow");
      } else {
        auto file = pg.run_dir() / "rollback.sql";
        CONVENE_TRY(write_file_atomic(file, sql->content, 0600));
        CONVENE_TRY(dbcluster::chown_to_postgres(file, false));
        auto st = dbcluster::run_checked("restoring the database",
                                         {"/usr/lib/postgresql/15/bin/psql", "-h", pg.run_dir().string(), "-p",
                                          std::to_string(kPort), "-U", "postgres", "-X", "-q", "-v", "ON_ERROR_STOP=1",
                                          "--single-transaction", "-d", kAppDatabase, "-f", file.string()});
        std::error_code ec;
        fs::remove(file, ec);
        CONVENE_TRY(st);
        say("Database restored");
      }
    }
    logger("database")->info("rolled back to {}", name);
    return ok_status();
  });
}

}  // namespace convene::backup
