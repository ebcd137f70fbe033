#pragma once
// The .bak format: one sealed file an operator can carry around. It holds every
// private key, the SCRAM keys, the call-bridge secrets and the database, so it is
// encrypted and authenticated with a key only the operator's passphrase gives:
//
//   CONVENE-BACKUP/2\n
//   <header: one line of JSON {"kdf":"scrypt","n":..,"r":..,"p":..,"salt":hex,
//                              "cipher":"aes-256-gcm","nonce":hex}>\n
//   <AES-256-GCM ciphertext of the body><16-byte tag>
//
// The key is scrypt(passphrase, salt) (memory-hard: 32 MiB per guess as written);
// the magic and header are the cipher's associated data, so no byte of the file
// can change unnoticed. The body, once opened:
//
//   <manifest: one line of JSON {"created":..., "node":..., "entries":[{"path","size"}]}>\n
//   <the entries' bytes, concatenated in manifest order>
//
// Entries are regular files and nothing else: an entry with a "type" other than
// "file" (a symlink, a device) is refused; modes are not stored (the restore sets
// them). decode_backup is a pure function from bytes and passphrase to the entries
// or an error: it checks the magic, the bounds of the KDF's cost (a forged header
// cannot make a guess cost a gigabyte), the tag, every path (relative, no "..")
// and the size caps before returning anything, so a wrong passphrase, a changed
// or a foreign file is refused before a rollback changes a byte. Fuzzable.
//
// Secrets handled here (the passphrase's key, the opened body) are wiped with
// OPENSSL_cleanse before their memory is freed.
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "util/result.h"

namespace convene::backup {

struct BackupEntry {
  std::string path;     // "config.json", "files/a.key", "state/xmpp/...", "database/convene.sql"
  std::string content;
};

struct BackupInfo {
  std::string created;  // ISO 8601 UTC
  std::string node;
};

struct DecodedBackup {
  BackupInfo info;
  std::vector<BackupEntry> entries;
};

// What a backup may hold: a reader refuses more before allocating it.
inline constexpr std::size_t kMaxBackupBytes = std::size_t{1} << 30;  // the whole file
inline constexpr std::size_t kMaxBackupEntries = 100000;
// A snapshot asks for at least this many characters.
inline constexpr std::size_t kMinPassphraseLength = 8;

Result<std::string> encode_backup(const BackupInfo& info, const std::vector<BackupEntry>& entries,
                                  std::string_view passphrase);
Result<DecodedBackup> decode_backup(std::string_view bytes, std::string_view passphrase);

// The container alone: seals `body` (manifest line + entries) under the
// passphrase. encode_backup builds a body and calls it; tests forge bodies with it.
Result<std::string> seal_backup_body(const std::string& body, std::string_view passphrase);

}  // namespace convene::backup
