// Client side of SCRAM-SHA-1 / SCRAM-SHA-256 (RFC 5802) for the load generator.
// The salted password is derived once per (user, salt, iterations) and cached (in memory
// and optionally in a file), so the tool does not spend its CPU on PBKDF2: it measures
// the server's SASL cost, not its own. The server signature is not verified (a load tool).
#pragma once
#include <map>
#include <string>
#include <string_view>

namespace convene::bench {

std::string base64_encode(std::string_view in);
std::string base64_decode(std::string_view in);  // empty on error

class ScramKeyCache {
 public:
  // Loads "mech user salt_b64 iterations clientkey_hex storedkey_hex" lines; missing file is fine.
  void load(const std::string& path);
  void save(const std::string& path) const;
  struct Keys {
    std::string client_key, stored_key;
  };
  // PBKDF2 only on a miss.
  const Keys& keys(bool sha256, const std::string& user, const std::string& password, const std::string& salt,
                   unsigned iterations);
  size_t misses() const { return misses_; }

 private:
  std::map<std::string, Keys> map_;
  size_t misses_ = 0;
};

// One exchange: first() gives the client-first message (not base64), final_message()
// answers the server-first message; empty when it is malformed.
class ScramClient {
 public:
  ScramClient(bool sha256, std::string user, std::string password, std::string nonce)
      : sha256_(sha256), user_(std::move(user)), password_(std::move(password)), nonce_(std::move(nonce)) {}
  std::string first() const;
  std::string final_message(std::string_view server_first, ScramKeyCache& cache) const;

 private:
  bool sha256_;
  std::string user_, password_, nonce_;
};

}  // namespace convene::bench
