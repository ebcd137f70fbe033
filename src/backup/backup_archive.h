#pragma once
// The .bak format: one self-checking file an operator can carry around.
//
//   CONVENE-BACKUP/1\n
//   <manifest: one line of JSON {"created":..., "node":..., "entries":[{"path","size","sha256","mode"}]}>\n
//   <the entries' bytes, concatenated in manifest order>
//   \nSHA256:<hex of every byte before this line>\n
//
// decode_backup checks the magic, the whole-file digest, every entry's size and
// digest, and that every path is relative without "..", before returning anything,
// so a corrupt or foreign file is refused before a rollback changes a byte. Pure:
// unit-tested.
#include <string>
#include <vector>

#include "util/result.h"

namespace convene::backup {

struct BackupEntry {
  std::string path;     // "config.json", "files/a.key", "state/xmpp/...", "database/convene.sql"
  std::string content;
  unsigned mode = 0600;
};

struct BackupInfo {
  std::string created;  // ISO 8601 UTC
  std::string node;
};

std::string encode_backup(const BackupInfo& info, const std::vector<BackupEntry>& entries);
Result<std::pair<BackupInfo, std::vector<BackupEntry>>> decode_backup(const std::string& bytes);

std::string sha256_hex(const std::string& data);

}  // namespace convene::backup
