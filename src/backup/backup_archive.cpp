#include "backup/backup_archive.h"

#include <openssl/evp.h>

#include <nlohmann/json.hpp>

namespace convene::backup {

namespace {
const std::string kMagic = "CONVENE-BACKUP/1\n";
const std::string kTrailer = "\nSHA256:";

bool safe_path(const std::string& p) {
  if (p.empty() || p.front() == '/' || p.find('\0') != std::string::npos) return false;
  size_t start = 0;
  while (start <= p.size()) {
    size_t end = p.find('/', start);
    if (end == std::string::npos) end = p.size();
    auto part = p.substr(start, end - start);
    if (part.empty() || part == "." || part == "..") return false;
    start = end + 1;
  }
  return true;
}
}  // namespace

std::string sha256_hex(const std::string& data) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(data.data(), data.size(), md, &len, EVP_sha256(), nullptr);
  static const char* hex = "0123456789abcdef";
  std::string out;
  for (unsigned i = 0; i < len; ++i) {
    out += hex[md[i] >> 4];
    out += hex[md[i] & 15];
  }
  return out;
}

std::string encode_backup(const BackupInfo& info, const std::vector<BackupEntry>& entries) {
  nlohmann::json manifest = {{"created", info.created}, {"node", info.node}, {"entries", nlohmann::json::array()}};
  for (const auto& e : entries)
    manifest["entries"].push_back(
        {{"path", e.path}, {"size", e.content.size()}, {"sha256", sha256_hex(e.content)}, {"mode", e.mode}});
  std::string out = kMagic + manifest.dump() + "\n";
  for (const auto& e : entries) out += e.content;
  return out + kTrailer + sha256_hex(out) + "\n";
}

Result<std::pair<BackupInfo, std::vector<BackupEntry>>> decode_backup(const std::string& bytes) {
  auto refuse = [](const std::string& why) {
    return make_error("not a valid Convene backup: " + why, "Nothing was changed. Use a .bak file made by 'backup snapshot'.");
  };
  if (bytes.compare(0, kMagic.size(), kMagic) != 0) return refuse("it does not start with the Convene backup header");
  size_t trailer = bytes.rfind(kTrailer);
  if (trailer == std::string::npos || trailer < kMagic.size()) return refuse("its checksum line is missing (truncated?)");
  std::string digest = bytes.substr(trailer + kTrailer.size());
  if (!digest.empty() && digest.back() == '\n') digest.pop_back();
  std::string body = bytes.substr(0, trailer);
  if (digest != sha256_hex(body)) return refuse("its checksum does not match (the file is corrupt or was modified)");
  size_t eol = body.find('\n', kMagic.size());
  if (eol == std::string::npos) return refuse("its manifest is missing");
  nlohmann::json manifest;
  try {
    manifest = nlohmann::json::parse(body.substr(kMagic.size(), eol - kMagic.size()));
  } catch (const std::exception&) {
    return refuse("its manifest is not readable");
  }
  BackupInfo info;
  std::vector<BackupEntry> entries;
  size_t pos = eol + 1;
  try {
    info.created = manifest.value("created", "");
    info.node = manifest.value("node", "");
    for (const auto& e : manifest.at("entries")) {
      BackupEntry entry;
      entry.path = e.at("path").get<std::string>();
      size_t size = e.at("size").get<size_t>();
      entry.mode = e.value("mode", 0600u) & 0777;
      if (!safe_path(entry.path)) return refuse("it names an unsafe path '" + entry.path + "'");
      if (size > body.size() - pos) return refuse("entry '" + entry.path + "' is truncated");
      entry.content = body.substr(pos, size);
      pos += size;
      if (sha256_hex(entry.content) != e.at("sha256").get<std::string>())
        return refuse("entry '" + entry.path + "' does not match its checksum");
      entries.push_back(std::move(entry));
    }
  } catch (const std::exception&) {
    return refuse("its manifest is malformed");
  }
  if (pos != body.size()) return refuse("it has bytes the manifest does not account for");
  return std::make_pair(info, std::move(entries));
}

}  // namespace convene::backup
