#include "backup/backup_archive.h"

#include <gtest/gtest.h>

namespace convene::backup {
namespace {

std::vector<BackupEntry> sample() {
  return {{"config.json", "{\"database\":{}}", 0600},
          {"files/a.key", "-----BEGIN PRIVATE KEY-----\n", 0600},
          {"database/convene.sql", std::string("CREATE TABLE t();\n\0binary", 26), 0600}};
}

TEST(BackupArchive, RoundTrip) {
  auto bytes = encode_backup({"2024-01-01T00:00:00Z", "cms2"}, sample());
  auto back = decode_backup(bytes);
  ASSERT_TRUE(back.ok()) << back.error().text();
  EXPECT_EQ(back->first.node, "cms2");
  ASSERT_EQ(back->second.size(), 3u);
  EXPECT_EQ(back->second[2].content, sample()[2].content);
}

TEST(BackupArchive, EveryFlippedByteIsRefused) {
  auto bytes = encode_backup({"t", "n"}, sample());
  for (size_t i = 0; i < bytes.size(); i += 7) {
    auto bad = bytes;
    bad[i] ^= 0x20;
    EXPECT_FALSE(decode_backup(bad).ok()) << "byte " << i;
  }
}

TEST(BackupArchive, TruncatedAndForeignFilesAreRefused) {
  auto bytes = encode_backup({"t", "n"}, sample());
  EXPECT_FALSE(decode_backup(bytes.substr(0, bytes.size() / 2)).ok());
  auto foreign = decode_backup("PK\x03\x04 some zip file");
  ASSERT_FALSE(foreign.ok());
  EXPECT_NE(foreign.error().message.find("not a valid Convene backup"), std::string::npos);
  EXPECT_NE(foreign.error().hint.find("Nothing was changed"), std::string::npos);
}

TEST(BackupArchive, UnsafePathsAreRefusedEvenWithGoodChecksums) {
  for (std::string p : {"../etc/passwd", "/etc/passwd", "files/../../x", "files//a"}) {
    auto bytes = encode_backup({"t", "n"}, {{p, "x", 0600}});
    EXPECT_FALSE(decode_backup(bytes).ok()) << p;
  }
}

}  // namespace
}  // namespace convene::backup
