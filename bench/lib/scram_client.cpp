#include "scram_client.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <cstdio>
#include <fstream>
#include <sstream>

namespace convene::bench {

std::string base64_encode(std::string_view in) {
  std::string out(4 * ((in.size() + 2) / 3) + 1, '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(in.data()), int(in.size()));
  out.resize(size_t(n));
  return out;
}

std::string base64_decode(std::string_view in) {
  if (in.size() % 4) return {};
  std::string out(3 * in.size() / 4 + 1, '\0');
  int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(in.data()), int(in.size()));
  if (n < 0) return {};
  size_t pad = 0;
  if (!in.empty() && in.back() == '=') pad = (in.size() > 1 && in[in.size() - 2] == '=') ? 2 : 1;
  out.resize(size_t(n) - pad);
  return out;
}

namespace {
const EVP_MD* md(bool sha256) { return sha256 ? EVP_sha256() : EVP_sha1(); }

std::string hmac(bool sha256, std::string_view key, std::string_view data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned len = 0;
  HMAC(md(sha256), key.data(), int(key.size()), reinterpret_cast<const unsigned char*>(data.data()), data.size(),
       out, &len);
  return std::string(reinterpret_cast<char*>(out), len);
}

std::string digest(bool sha256, std::string_view data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned len = 0;
  EVP_Digest(data.data(), data.size(), out, &len, md(sha256), nullptr);
  return std::string(reinterpret_cast<char*>(out), len);
}

std::string hex(std::string_view s) {
  static const char* d = "0123456789abcdef";
  std::string o;
  for (unsigned char c : s) {
    o += d[c >> 4];
    o += d[c & 15];
  }
  return o;
}

std::string unhex(std::string_view s) {
  std::string o;
  for (size_t i = 0; i + 1 < s.size(); i += 2) o += char(std::stoi(std::string(s.substr(i, 2)), nullptr, 16));
  return o;
}

std::string key_of(bool sha256, const std::string& user, const std::string& salt, unsigned it) {
  return std::string(sha256 ? "256 " : "1 ") + user + " " + base64_encode(salt) + " " + std::to_string(it);
}
}  // namespace

void ScramKeyCache::load(const std::string& path) {
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream ls(line);
    std::string mech, user, salt, it, ck, sk;
    if (!(ls >> mech >> user >> salt >> it >> ck >> sk)) continue;
    map_[mech + " " + user + " " + salt + " " + it] = Keys{unhex(ck), unhex(sk)};
  }
}

void ScramKeyCache::save(const std::string& path) const {
  std::ofstream out(path + ".tmp");
  for (auto& [k, v] : map_) out << k << " " << hex(v.client_key) << " " << hex(v.stored_key) << "\n";
  out.close();
  std::rename((path + ".tmp").c_str(), path.c_str());
}

const ScramKeyCache::Keys& ScramKeyCache::keys(bool sha256, const std::string& user, const std::string& password,
                                               const std::string& salt, unsigned iterations) {
  auto k = key_of(sha256, user, salt, iterations);
  auto it = map_.find(k);
  if (it != map_.end()) return it->second;
  ++misses_;
  unsigned char salted[EVP_MAX_MD_SIZE];
  int len = EVP_MD_get_size(md(sha256));
  PKCS5_PBKDF2_HMAC(password.data(), int(password.size()), reinterpret_cast<const unsigned char*>(salt.data()),
                    int(salt.size()), int(iterations), md(sha256), len, salted);
  std::string sp(reinterpret_cast<char*>(salted), size_t(len));
  Keys keys;
  keys.client_key = hmac(sha256, sp, "Client Key");
  keys.stored_key = digest(sha256, keys.client_key);
  return map_.emplace(k, std::move(keys)).first->second;
}

std::string ScramClient::first() const { return "n,,n=" + user_ + ",r=" + nonce_; }

std::string ScramClient::final_message(std::string_view server_first, ScramKeyCache& cache) const {
  std::string r, s;
  unsigned it = 0;
  size_t pos = 0;
  while (pos < server_first.size()) {
    size_t comma = server_first.find(',', pos);
    if (comma == std::string_view::npos) comma = server_first.size();
    auto part = server_first.substr(pos, comma - pos);
    if (part.size() > 2 && part[1] == '=') {
      if (part[0] == 'r') r = std::string(part.substr(2));
      if (part[0] == 's') s = base64_decode(part.substr(2));
      if (part[0] == 'i') it = unsigned(std::strtoul(std::string(part.substr(2)).c_str(), nullptr, 10));
    }
    pos = comma + 1;
  }
  if (r.compare(0, nonce_.size(), nonce_) != 0 || s.empty() || it == 0) return {};
  const auto& k = cache.keys(sha256_, user_, password_, s, it);
  std::string without_proof = "c=biws,r=" + r;
  std::string auth_message = "n=" + user_ + ",r=" + nonce_ + "," + std::string(server_first) + "," + without_proof;
  std::string sig = hmac(sha256_, k.stored_key, auth_message);
  std::string proof = k.client_key;
  for (size_t i = 0; i < proof.size(); ++i) proof[i] = char(proof[i] ^ sig[i]);
  return without_proof + ",p=" + base64_encode(proof);
}

}  // namespace convene::bench
