#include "backup/backup_archive.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <memory>

#include <nlohmann/json.hpp>

#include "util/random.h"

namespace convene::backup {

namespace {
const std::string kMagic = "CONVENE-BACKUP/2\n";
const std::string kOldMagic = "CONVENE-BACKUP/1\n";
constexpr std::size_t kKeyBytes = 32, kSaltBytes = 16, kNonceBytes = 12, kTagBytes = 16;
// As written: 2^15 * 8 * 128 bytes = 32 MiB and about 0.1 s per guess.
constexpr std::uint64_t kScryptN = std::uint64_t{1} << 15, kScryptR = 8, kScryptP = 1;
// What a reader accepts: at most 256 MiB per guess, whatever the header says.
constexpr std::uint64_t kMaxScryptMemory = std::uint64_t{256} << 20;

// A key that wipes itself: the passphrase's derivative never outlives its use.
struct Key {
  unsigned char bytes[kKeyBytes] = {};
  ~Key() { OPENSSL_cleanse(bytes, sizeof bytes); }
};

// A plaintext buffer (keys, secrets, the database) wiped before it is freed.
struct WipedString {
  std::string s;
  ~WipedString() {
    if (!s.empty()) OPENSSL_cleanse(s.data(), s.size());
  }
};

using CipherCtx = std::unique_ptr<EVP_CIPHER_CTX, decltype(&EVP_CIPHER_CTX_free)>;

Error refusal(const std::string& why) {
  return make_error("not a valid Convene backup: " + why,
                    "Nothing was changed. Use a .bak file made by 'backup snapshot', with the passphrase typed then.");
}

// OpenSSL's hex codec (upper case out, either case in).
std::string to_hex(const std::string& bytes) {
  std::string out(bytes.size() * 2 + 1, '\0');
  std::size_t len = 0;
  OPENSSL_buf2hexstr_ex(out.data(), out.size(), &len, reinterpret_cast<const unsigned char*>(bytes.data()),
                        bytes.size(), '\0');
  out.resize(len > 0 ? len - 1 : 0);  // len counts the terminating NUL
  return out;
}

bool from_hex(const std::string& hex, std::string& out) {
  if (hex.size() % 2 != 0 || hex.size() > 256) return false;
  out.assign(hex.size() / 2, '\0');
  std::size_t len = 0;
  if (OPENSSL_hexstr2buf_ex(reinterpret_cast<unsigned char*>(out.data()), out.size(), &len, hex.c_str(), '\0') != 1)
    return false;
  out.resize(len);
  return true;
}

bool derive(std::string_view passphrase, const std::string& salt, std::uint64_t n, std::uint64_t r, std::uint64_t p,
            Key& key) {
  return EVP_PBE_scrypt(passphrase.data(), passphrase.size(), reinterpret_cast<const unsigned char*>(salt.data()),
                        salt.size(), n, r, p, kMaxScryptMemory + (std::uint64_t{1} << 20), key.bytes,
                        sizeof key.bytes) == 1;
}

bool safe_path(const std::string& p) {
  if (p.empty() || p.front() == '/' || p.find('\0') != std::string::npos) return false;
  std::size_t start = 0;
  while (start <= p.size()) {
    std::size_t end = p.find('/', start);
    if (end == std::string::npos) end = p.size();
    auto part = p.substr(start, end - start);
    if (part.empty() || part == "." || part == "..") return false;
    start = end + 1;
  }
  return true;
}

Result<DecodedBackup> parse_body(const std::string& body) {
  std::size_t eol = body.find('\n');
  if (eol == std::string::npos) return refusal("its manifest is missing");
  nlohmann::json manifest = nlohmann::json::parse(body.substr(0, eol), nullptr, false);
  if (!manifest.is_object() || !manifest.contains("entries") || !manifest["entries"].is_array())
    return refusal("its manifest is malformed");
  if (manifest["entries"].size() > kMaxBackupEntries) return refusal("it has more entries than a backup may have");
  DecodedBackup out;
  std::size_t pos = eol + 1;
  try {
    out.info.created = manifest.value("created", "");
    out.info.node = manifest.value("node", "");
    for (const auto& e : manifest["entries"]) {
      BackupEntry entry;
      entry.path = e.at("path").get<std::string>();
      if (!safe_path(entry.path)) return refusal("it names an unsafe path '" + entry.path + "'");
      auto type = e.value("type", std::string("file"));
      if (type != "file")
        return refusal("entry '" + entry.path + "' is a " + type + ", and a backup holds regular files only");
      auto size = e.at("size").get<std::uint64_t>();
      if (size > body.size() - pos) return refusal("entry '" + entry.path + "' is truncated");
      entry.content = body.substr(pos, size);
      pos += size;
      out.entries.push_back(std::move(entry));
    }
  } catch (const std::exception&) {
    return refusal("its manifest is malformed");
  }
  if (pos != body.size()) return refusal("it has bytes the manifest does not account for");
  return out;
}

}  // namespace

Result<std::string> encode_backup(const BackupInfo& info, const std::vector<BackupEntry>& entries,
                                  std::string_view passphrase) {
  nlohmann::json manifest = {{"created", info.created}, {"node", info.node}, {"entries", nlohmann::json::array()}};
  std::size_t total = 0;
  for (const auto& e : entries) {
    manifest["entries"].push_back({{"path", e.path}, {"size", e.content.size()}});
    total += e.content.size();
  }
  std::string line = manifest.dump() + "\n";
  // Reserved whole, so no reallocation leaves a copy of the secrets unwiped.
  WipedString body;
  body.s.reserve(line.size() + total);
  body.s += line;
  for (const auto& e : entries) body.s += e.content;
  if (body.s.size() > kMaxBackupBytes)
    return make_error("the node's state is larger than a backup may be (1 GiB)",
                      "Remove large files from the file area (e.g. old .cer/.csr copies) and try again.");

  return seal_backup_body(body.s, passphrase);
}

Result<std::string> seal_backup_body(const std::string& body, std::string_view passphrase) {
  std::string salt = random_bytes(kSaltBytes), nonce = random_bytes(kNonceBytes);
  nlohmann::json header = {{"kdf", "scrypt"}, {"n", kScryptN}, {"r", kScryptR},     {"p", kScryptP},
                           {"salt", to_hex(salt)}, {"cipher", "aes-256-gcm"}, {"nonce", to_hex(nonce)}};
  std::string out = kMagic + header.dump() + "\n";
  Key key;
  if (!derive(passphrase, salt, kScryptN, kScryptR, kScryptP, key))
    return make_error("cannot derive the backup key (scrypt)", "The node may be short of memory; try again.");
  CipherCtx ctx(EVP_CIPHER_CTX_new(), EVP_CIPHER_CTX_free);
  int len = 0;
  std::size_t head = out.size();
  out.resize(head + body.size() + kTagBytes);
  auto* dst = reinterpret_cast<unsigned char*>(out.data() + head);
  bool ok = ctx && EVP_EncryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, nullptr, nullptr) == 1 &&
            EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_IVLEN, kNonceBytes, nullptr) == 1 &&
            EVP_EncryptInit_ex(ctx.get(), nullptr, nullptr, key.bytes,
                               reinterpret_cast<const unsigned char*>(nonce.data())) == 1 &&
            EVP_EncryptUpdate(ctx.get(), nullptr, &len, reinterpret_cast<const unsigned char*>(out.data()),
                              static_cast<int>(head)) == 1 &&
            EVP_EncryptUpdate(ctx.get(), dst, &len, reinterpret_cast<const unsigned char*>(body.data()),
                              static_cast<int>(body.size())) == 1 &&
            EVP_EncryptFinal_ex(ctx.get(), dst + len, &len) == 1 &&
            EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, kTagBytes, dst + body.size()) == 1;
  if (!ok) return make_error("cannot encrypt the backup (OpenSSL AES-256-GCM failed)");
  return out;
}

Result<DecodedBackup> decode_backup(std::string_view bytes, std::string_view passphrase) {
  if (bytes.size() > kMaxBackupBytes + 65536) return refusal("it is larger than a backup may be (1 GiB)");
  if (bytes.substr(0, kOldMagic.size()) == kOldMagic)
    return make_error("not a valid Convene backup: it is an unencrypted backup of an older version",
                      "Nothing was changed. Unencrypted backups are no longer restored (anyone could have changed "
                      "them); make a new one with 'backup snapshot'.");
  if (bytes.substr(0, kMagic.size()) != kMagic) return refusal("it does not start with the Convene backup header");
  std::size_t eol = bytes.find('\n', kMagic.size());
  if (eol == std::string_view::npos || eol - kMagic.size() > 4096) return refusal("its header is missing");
  nlohmann::json header = nlohmann::json::parse(bytes.substr(kMagic.size(), eol - kMagic.size()), nullptr, false);
  std::string salt, nonce;
  std::uint64_t n = 0, r = 0, p = 0;
  try {
    if (!header.is_object() || header.value("kdf", "") != "scrypt" || header.value("cipher", "") != "aes-256-gcm")
      return refusal("its header names an unknown key derivation or cipher");
    n = header.at("n").get<std::uint64_t>();
    r = header.at("r").get<std::uint64_t>();
    p = header.at("p").get<std::uint64_t>();
    if (!from_hex(header.at("salt").get<std::string>(), salt) || !from_hex(header.at("nonce").get<std::string>(), nonce))
      return refusal("its header is malformed");
  } catch (const std::exception&) {
    return refusal("its header is malformed");
  }
  if (n < 1024 || (n & (n - 1)) != 0 || r < 1 || r > 32 || p < 1 || p > 4 || salt.size() < 8 ||
      nonce.size() != kNonceBytes || 128 * n * r * p > kMaxScryptMemory)
    return refusal("its header asks for key derivation costs out of bounds");
  std::size_t head = eol + 1;
  if (bytes.size() < head + kTagBytes) return refusal("it is truncated");
  std::size_t cipher_len = bytes.size() - head - kTagBytes;
  Key key;
  if (!derive(passphrase, salt, n, r, p, key))
    return make_error("cannot derive the backup key (scrypt)", "Nothing was changed. The node may be short of memory.");
  CipherCtx ctx(EVP_CIPHER_CTX_new(), EVP_CIPHER_CTX_free);
  WipedString body;
  body.s.resize(cipher_len);
  int len = 0;
  auto* src = reinterpret_cast<const unsigned char*>(bytes.data());
  unsigned char tag[kTagBytes];
  std::copy(src + head + cipher_len, src + head + cipher_len + kTagBytes, tag);
  bool ok = ctx && EVP_DecryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, nullptr, nullptr) == 1 &&
            EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_IVLEN, kNonceBytes, nullptr) == 1 &&
            EVP_DecryptInit_ex(ctx.get(), nullptr, nullptr, key.bytes,
                               reinterpret_cast<const unsigned char*>(nonce.data())) == 1 &&
            EVP_DecryptUpdate(ctx.get(), nullptr, &len, src, static_cast<int>(head)) == 1 &&
            EVP_DecryptUpdate(ctx.get(), reinterpret_cast<unsigned char*>(body.s.data()), &len, src + head,
                              static_cast<int>(cipher_len)) == 1 &&
            EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, kTagBytes, tag) == 1 &&
            EVP_DecryptFinal_ex(ctx.get(), reinterpret_cast<unsigned char*>(body.s.data()) + len, &len) == 1;
  if (!ok)
    return make_error("not a valid Convene backup: the passphrase is wrong, or the file was changed after it was made",
                      "Nothing was changed. Give the passphrase typed at 'backup snapshot'; if it is right, the file "
                      "is damaged or was tampered with: use another copy.");
  return parse_body(body.s);
}

}  // namespace convene::backup
