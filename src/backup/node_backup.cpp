#include "backup/node_backup.h"

#include <openssl/crypto.h>
#include <sys/stat.h>

#include <algorithm>
#include <filesystem>

#include <nlohmann/json.hpp>

#include "backup/backup_archive.h"
#include "backup/database_restore.h"
#include "dbcluster/agent.h"
#include "dbcluster/postgres_instance.h"
#include "dbcluster/process.h"
#include "dbcluster/replication.h"
#include "node/node.h"
#include "util/files.h"
#include "util/safe_files.h"
#include "util/log.h"

namespace convene::backup {

namespace fs = std::filesystem;
using json = nlohmann::json;
using dbcluster::kAppDatabase;
using dbcluster::kPort;

namespace {

// The entries hold private keys and secrets: wiped when the command is done with them.
struct WipeEntries {
  std::vector<BackupEntry>& entries;
  ~WipeEntries() {
    for (auto& e : entries)
      if (!e.content.empty()) OPENSSL_cleanse(e.content.data(), e.content.size());
  }
};

// Every restored file: private to root, whatever mode it had (the archive keeps none).
constexpr unsigned kRestoredMode = 0600;

Result<DecodedBackup> read_backup(const Node& node, const std::string& name, std::string_view passphrase) {
  std::string file = name.size() > 4 && name.compare(name.size() - 4, 4, ".bak") == 0 ? name : name + ".bak";
  auto path = node.paths().file(file);
  if (!path) return path.error();
  std::error_code ec;
  if (!fs::exists(fs::symlink_status(*path, ec)))
    return make_error("backup '" + file + "' not found",
                      "Nothing was changed. 'backup list' shows the backups there are.");
  struct stat st {};
  if (::lstat(path->c_str(), &st) == 0 && S_ISREG(st.st_mode) &&
      static_cast<std::uint64_t>(st.st_size) > kMaxBackupBytes + 65536)
    return make_error("not a valid Convene backup: '" + file + "' is larger than a backup may be (1 GiB)",
                      "Nothing was changed.");
  auto bytes = read_regular_file(*path);
  if (!bytes) return make_error(bytes.error().message, "Nothing was changed. Give a .bak file, not a link.");
  return decode_backup(*bytes, passphrase);
}

// A file of the node read for a snapshot: regular files only (lstat), so a link
// planted in the file area cannot make the snapshot carry a file from elsewhere.
bool add_regular(std::vector<BackupEntry>& entries, const fs::path& file, const std::string& entry_path,
                 const std::function<void(const std::string&)>& say) {
  auto c = read_regular_file(file);
  if (!c) {
    say("Left out " + entry_path + ": " + c.error().message);
    logger("database")->warn("backup: left out {}: {}", entry_path, c.error().message);
    return false;
  }
  entries.push_back({entry_path, std::move(*c)});
  return true;
}

// Where an entry of the archive may go: the flat file area, the XMPP state, or
// nothing (config.json and the database are handled on their own).
Result<fs::path> restore_target(const Node& node, const std::string& entry) {
  if (entry.rfind("files/", 0) == 0) {
    auto name = entry.substr(6);
    if (!is_plain_file_name(name)) return make_error("the backup names a file outside the file area: " + entry);
    return node.paths().files() / name;
  }
  if (entry.rfind("state/xmpp/", 0) == 0) return node.paths().dir() / entry;
  return fs::path();
}

}  // namespace

Result<std::string> NodeBackup::snapshot(const std::string& name, std::string_view passphrase,
                                         const std::function<void(const std::string&)>& say) {
  std::string file = name + ".bak";
  auto st = agent_.with_database([&](dbcluster::PostgresInstance& pg) -> Status {
    auto target = node_.paths().file(file);
    if (!target) return target.error();
    std::vector<BackupEntry> entries;
    WipeEntries wipe{entries};
    auto cfgfile = read_regular_file(node_.paths().config());
    entries.push_back({"config.json", cfgfile ? *cfgfile : "{}"});
    std::error_code ec;
    for (auto& e : fs::directory_iterator(node_.paths().files(), ec)) {
      if (e.path().extension() == ".bak" || (e.is_directory(ec) && !e.is_symlink(ec))) continue;
      add_regular(entries, e.path(), "files/" + e.path().filename().string(), say);
    }
    auto xmpp = node_.paths().state() / "xmpp";
    if (fs::is_directory(fs::symlink_status(xmpp, ec))) {
      // Directory links are not followed (the iterator's default); file links are left out.
      for (auto it = fs::recursive_directory_iterator(xmpp, ec); !ec && it != fs::recursive_directory_iterator();
           it.increment(ec)) {
        if (it->is_directory(ec) && !it->is_symlink(ec)) continue;
        add_regular(entries, it->path(), "state/xmpp/" + fs::relative(it->path(), xmpp).string(), say);
      }
    }
    if (pg.initialized() && pg.running()) {
      auto dump = pg.run_dir() / "snapshot.sql";
      fs::remove(dump, ec);
      // pg_dump takes one consistent snapshot of the database (works on a slave too).
      CONVENE_TRY(dbcluster::run_checked(
          "pg_dump", {"/usr/lib/postgresql/15/bin/pg_dump", "-h", pg.run_dir().string(), "-p", std::to_string(kPort),
                      "-U", "postgres", "--clean", "--if-exists", "--no-owner", "-f", dump.string(), kAppDatabase}));
      auto c = read_regular_file(dump);
      fs::remove(dump, ec);
      if (!c) return c.error();
      entries.push_back({"database/convene.sql", std::move(*c)});
    }
    BackupInfo info{dbcluster::now_iso(), node_.name()};
    auto sealed = encode_backup(info, entries, passphrase);
    if (!sealed) return sealed.error();
    CONVENE_TRY(write_file_atomic(*target, *sealed, 0600));
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

Result<std::string> NodeBackup::check(const std::string& name, std::string_view passphrase) {
  auto decoded = read_backup(node_, name, passphrase);
  if (!decoded) return decoded.error();
  WipeEntries wipe{decoded->entries};
  return "Backup of node '" + decoded->info.node + "' made " + decoded->info.created + " (" +
         std::to_string(decoded->entries.size()) + " items)";
}

Status NodeBackup::rollback(const std::string& name, std::string_view passphrase,
                            const std::function<void(const std::string&)>& say) {
  return agent_.with_database([&](dbcluster::PostgresInstance& pg) -> Status {
    auto decoded = read_backup(node_, name, passphrase);  // again: the file may have changed since the question
    if (!decoded) return decoded.error();
    auto& entries = decoded->entries;
    WipeEntries wipe{entries};
    // Everything checked before anything is written.
    const BackupEntry* sql = nullptr;
    const BackupEntry* config = nullptr;
    json doc;
    for (auto& e : entries) {
      auto target = restore_target(node_, e.path);
      if (!target) return make_error(target.error().message, "Nothing was changed.");
      if (e.path == "config.json") config = &e;
      if (e.path == "database/convene.sql") sql = &e;
    }
    if (config) {
      doc = json::parse(config->content, nullptr, false);
      if (!doc.is_object()) return make_error("the backup's configuration is not a JSON object", "Nothing was changed.");
    }
    // The database first, into a database of its own: a dump that does not load
    // leaves the node as it was.
    bool restore_db = false;
    if (sql) {
      auto rec = pg.running() ? pg.in_recovery() : Result<bool>(make_error("not running"));
      if (!rec) {
        say("Database not restored: the local database is not running");
      } else if (*rec) {
        say("Database not restored here: this node is a slave; roll back on the master and the slaves follow");
      } else {
        CONVENE_TRY(load_database_dump(pg, sql->content));
        restore_db = true;
      }
    }
    auto files_step = [&]() -> Status {
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
      for (auto& e : entries) {
        auto target = *restore_target(node_, e.path);
        if (target.empty()) continue;
        if (e.path.rfind("state/", 0) == 0) CONVENE_TRY(make_dirs(target.parent_path(), true));
        CONVENE_TRY(write_file_atomic(target, e.content, kRestoredMode));
      }
      return ok_status();
    };
    if (auto st = files_step(); !st) {
      if (restore_db) discard_restored_database(pg);
      return st;
    }
    say("Configuration, keys and certificates restored");
    if (restore_db) {
      CONVENE_TRY(swap_in_restored_database(pg));
      say("Database restored");
    }
    logger("database")->info("rolled back to {}", name);
    return ok_status();
  });
}

}  // namespace convene::backup
