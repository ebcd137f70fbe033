#include "backup/backup_archive.h"

#include <gtest/gtest.h>

namespace convene::backup {
namespace {

const char* const kPass = "correct horse battery";

std::vector<BackupEntry> sample() {
  return {{"config.json", "{\"database\":{}}"},
          {"files/a.key", "-----BEGIN PRIVATE KEY-----\n"},
          {"database/convene.sql", std::string("CREATE TABLE t();\n\0binary", 26)}};
}

std::string sealed(const std::vector<BackupEntry>& entries) {
  auto bytes = encode_backup({"2024-01-01T00:00:00Z", "cms2"}, entries, kPass);
  EXPECT_TRUE(bytes.ok());
  return bytes.ok() ? *bytes : std::string();
}

TEST(BackupArchive, RoundTrip) {
  auto back = decode_backup(sealed(sample()), kPass);
  ASSERT_TRUE(back.ok()) << back.error().text();
  EXPECT_EQ(back->info.node, "cms2");
  ASSERT_EQ(back->entries.size(), 3u);
  EXPECT_EQ(back->entries[2].content, sample()[2].content);
}

// The old format was plaintext with an unkeyed checksum: the private keys could
// be read, and anyone could change an entry and recompute the checksum.
TEST(BackupArchive, NoSecretIsReadableInTheFile) {
  auto bytes = sealed(sample());
  EXPECT_EQ(bytes.find("BEGIN PRIVATE KEY"), std::string::npos);
  EXPECT_EQ(bytes.find("CREATE TABLE"), std::string::npos);
  EXPECT_EQ(bytes.find("files/a.key"), std::string::npos);
}

TEST(BackupArchive, AWrongPassphraseIsRefusedWithAClearError) {
  auto back = decode_backup(sealed(sample()), "correct horse battery.");
  ASSERT_FALSE(back.ok());
  EXPECT_NE(back.error().message.find("the passphrase is wrong, or the file was changed"), std::string::npos);
  EXPECT_NE(back.error().hint.find("Nothing was changed"), std::string::npos);
}

TEST(BackupArchive, EveryFlippedByteIsRefused) {
  auto bytes = sealed(sample());
  for (size_t i = 0; i < bytes.size(); i += 11) {
    auto bad = bytes;
    bad[i] ^= 0x20;
    EXPECT_FALSE(decode_backup(bad, kPass).ok()) << "byte " << i;
  }
}

TEST(BackupArchive, TruncatedForeignAndOldFilesAreRefused) {
  auto bytes = sealed(sample());
  EXPECT_FALSE(decode_backup(bytes.substr(0, bytes.size() / 2), kPass).ok());
  auto foreign = decode_backup("PK\x03\x04 some zip file", kPass);
  ASSERT_FALSE(foreign.ok());
  EXPECT_NE(foreign.error().message.find("not a valid Convene backup"), std::string::npos);
  EXPECT_NE(foreign.error().hint.find("Nothing was changed"), std::string::npos);
  auto old = decode_backup("CONVENE-BACKUP/1\n{\"entries\":[]}\n\nSHA256:00\n", kPass);
  ASSERT_FALSE(old.ok());
  EXPECT_NE(old.error().message.find("unencrypted backup of an older version"), std::string::npos);
}

// A forged header must not make one guess cost gigabytes (a denial of service
// from a file an operator is asked to try).
TEST(BackupArchive, KeyDerivationCostsAreBounded) {
  auto bytes = sealed(sample());
  auto at = bytes.find("\"n\":32768");
  ASSERT_NE(at, std::string::npos) << bytes.substr(0, 200);
  auto forged = bytes;
  forged.replace(at, 9, "\"n\":1073741824");
  auto r = decode_backup(forged, kPass);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("out of bounds"), std::string::npos) << r.error().message;
}

TEST(BackupArchive, UnsafePathsAreRefusedEvenWhenSealed) {
  for (std::string p : {"../etc/passwd", "/etc/passwd", "files/../../x", "files//a"}) {
    auto bytes = encode_backup({"t", "n"}, {{p, "x"}}, kPass);
    ASSERT_TRUE(bytes.ok());
    EXPECT_FALSE(decode_backup(*bytes, kPass).ok()) << p;
  }
}

// Even with the passphrase, an archive holds regular files only, and modes are
// not taken from it (the restore sets them).
TEST(BackupArchive, SymlinkEntriesAreRefusedAndModesIgnored) {
  auto link = seal_backup_body(
      "{\"entries\":[{\"path\":\"files/x.key\",\"size\":11,\"type\":\"symlink\"}]}\n/etc/shadow", kPass);
  ASSERT_TRUE(link.ok());
  auto r = decode_backup(*link, kPass);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("regular files only"), std::string::npos) << r.error().message;

  auto suid = seal_backup_body("{\"entries\":[{\"path\":\"files/run\",\"size\":2,\"mode\":2559}]}\nhi", kPass);
  ASSERT_TRUE(suid.ok());
  auto s = decode_backup(*suid, kPass);
  ASSERT_TRUE(s.ok()) << s.error().text();
  ASSERT_EQ(s->entries.size(), 1u);
  EXPECT_EQ(s->entries[0].content, "hi");
}

TEST(BackupArchive, EntryCountAndSizesAreBounded) {
  auto big = seal_backup_body("{\"entries\":[{\"path\":\"a\",\"size\":18446744073709551615}]}\nx", kPass);
  ASSERT_TRUE(big.ok());
  EXPECT_FALSE(decode_backup(*big, kPass).ok());
  std::string many = "{\"entries\":[";
  for (size_t i = 0; i <= kMaxBackupEntries; ++i) many += std::string(i ? "," : "") + "{\"path\":\"a\",\"size\":0}";
  auto m = seal_backup_body(many + "]}\n", kPass);
  ASSERT_TRUE(m.ok());
  auto r = decode_backup(*m, kPass);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("more entries"), std::string::npos);
}

}  // namespace
}  // namespace convene::backup
