#pragma once
// The web admin's accounts, as CMS's MMP has them (`user add NAME admin|api|audit`):
//   admin  everything: the pages and the API, reading and changing
//   api    the API (/api/v1), reading and changing; not the pages
//   audit  reading only: GET on the pages, the API and /metrics
// Kept in the node's configuration, section "webadmin_users":
//   {"NAME": {"role": "admin", "password": "SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>"}}
// The password is never stored: only PBKDF2-SHA-256 keys (xmpp_core/scram.h, the
// same derivation as the XMPP accounts', with more iterations since only operators
// log in here). Checking an unknown name costs the same PBKDF2 as a known one.
//
// Thread-safety: every call goes to the ConfigStore (its own mutex).
#include <optional>
#include <string>
#include <vector>

#include "node/config_store.h"
#include "util/result.h"

namespace convene::web {

enum class Role { admin, api, audit };

Result<Role> parse_role(const std::string& word);
std::string role_name(Role role);

// 1-32 characters of a-z, 0-9, '.', '_', '-', starting with a letter or digit.
Status check_user_name(const std::string& name);
// 8-256 characters, no control characters.
Status check_admin_password(const std::string& password);

struct AdminUser {
  std::string name;
  Role role = Role::audit;
};

inline constexpr uint32_t kAdminPasswordIterations = 60000;

class AdminUsers {
 public:
  explicit AdminUsers(ConfigStore& config) : config_(config) {}

  Status add(const std::string& name, Role role, const std::string& password);
  Status set_password(const std::string& name, const std::string& password);
  Status remove(const std::string& name);
  std::vector<AdminUser> list() const;
  std::optional<AdminUser> find(const std::string& name) const;
  // The account when `password` is its password.
  std::optional<AdminUser> verify(const std::string& name, const std::string& password) const;

 private:
  ConfigStore& config_;
};

}  // namespace convene::web
