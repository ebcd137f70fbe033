#include "scram_client.h"

#include <cstdio>
#include <fstream>
#include <sstream>

#include "xmpp_core/base64.h"

namespace convene::bench {

namespace {
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

// "sp": salted password, so a line of the older client-key/stored-key form never
// matches a key here.
std::string key_of(bool sha256, const std::string& user, const std::string& salt, unsigned it) {
  return std::string(sha256 ? "sp256 " : "sp1 ") + user + " " + xmpp::base64_encode(salt) + " " + std::to_string(it);
}

}  // namespace

void ScramKeyCache::load(const std::string& path) {
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream ls(line);
    std::string mech, user, salt, it, salted, extra;
    if (!(ls >> mech >> user >> salt >> it >> salted) || (ls >> extra)) continue;
    if (mech != "sp1" && mech != "sp256") continue;
    map_[mech + " " + user + " " + salt + " " + it] = unhex(salted);
  }
}

void ScramKeyCache::save(const std::string& path) const {
  std::ofstream out(path + ".tmp");
  for (auto& [k, v] : map_) out << k << " " << hex(v) << "\n";
  out.close();
  std::rename((path + ".tmp").c_str(), path.c_str());
}

const std::string* ScramKeyCache::find(bool sha256, const std::string& user, const std::string& salt,
                                       unsigned iterations) const {
  auto it = map_.find(key_of(sha256, user, salt, iterations));
  return it == map_.end() ? nullptr : &it->second;
}

void ScramKeyCache::add(bool sha256, const std::string& user, const std::string& salt, unsigned iterations,
                        std::string salted) {
  ++misses_;
  map_[key_of(sha256, user, salt, iterations)] = std::move(salted);
}

ScramClient::ScramClient(bool sha256, std::string user, std::string password, std::string nonce)
    : sha256_(sha256),
      user_(user),
      client_(sha256 ? xmpp::ScramHash::sha256 : xmpp::ScramHash::sha1, std::move(user), std::move(password), {},
              std::move(nonce)) {}

std::string ScramClient::final_message(std::string_view server_first, ScramKeyCache& cache) {
  // Looked up before the exchange goes on; the full check is xmpp::ScramClient's.
  auto challenge = xmpp::parse_server_first(server_first);
  if (!challenge) return {};
  const std::string& salt = challenge->salt;
  const unsigned it = challenge->iterations;
  const std::string* known = cache.find(sha256_, user_, salt, it);
  if (known) client_.use_cached({salt, it, *known});
  auto final_message = client_.receive_server_first(server_first);
  if (!final_message) return {};
  if (!known) cache.add(sha256_, user_, salt, it, client_.salted_password().salted);
  return std::move(*final_message);
}

}  // namespace convene::bench
