// SCRAM-SHA-1 / SCRAM-SHA-256 logins for the load generator. The exchange itself is
// xmpp_core's ScramClient (the one the server's tests check against the RFC vectors);
// what is the tool's own is the cache: the salted password is derived once per
// (mechanism, user, salt, iterations) and kept in memory and optionally in a file,
// so the tool does not spend its CPU on PBKDF2: it measures the server's SASL cost,
// not its own. The server signature is not verified (a load tool).
#pragma once
#include <map>
#include <string>
#include <string_view>

#include "xmpp_core/scram.h"

namespace convene::bench {

class ScramKeyCache {
 public:
  // Loads "sp1|sp256 user salt_b64 iterations salted_hex" lines; a missing file is
  // fine, and lines of another form (an older tool's keys) are skipped.
  void load(const std::string& path);
  void save(const std::string& path) const;
  // The salted password for this challenge, if known.
  const std::string* find(bool sha256, const std::string& user, const std::string& salt, unsigned iterations) const;
  void add(bool sha256, const std::string& user, const std::string& salt, unsigned iterations, std::string salted);
  size_t misses() const { return misses_; }

 private:
  std::map<std::string, std::string> map_;
  size_t misses_ = 0;
};

// One exchange: first() gives the client-first message (not base64), final_message()
// answers the server-first message; empty when it is malformed.
class ScramClient {
 public:
  ScramClient(bool sha256, std::string user, std::string password, std::string nonce);
  std::string first() { return client_.client_first(); }
  std::string final_message(std::string_view server_first, ScramKeyCache& cache);

 private:
  bool sha256_;
  std::string user_;
  xmpp::ScramClient client_;
};

}  // namespace convene::bench
