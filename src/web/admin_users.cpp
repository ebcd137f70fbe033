#include "web/admin_users.h"

#include "xmpp_core/scram.h"

namespace convene::web {

using nlohmann::json;

namespace {
constexpr const char* kSection = "webadmin_users";
}

Result<Role> parse_role(const std::string& word) {
  if (word == "admin") return Role::admin;
  if (word == "api") return Role::api;
  if (word == "audit") return Role::audit;
  return make_error("'" + word + "' is not a role", "Give one of admin, api, audit, e.g. 'user add alice admin'.");
}

std::string role_name(Role role) {
  switch (role) {
    case Role::admin: return "admin";
    case Role::api: return "api";
    case Role::audit: return "audit";
  }
  return "audit";
}

Status check_user_name(const std::string& name) {
  auto ok_char = [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-'; };
  bool ok = !name.empty() && name.size() <= 32 && std::all_of(name.begin(), name.end(), ok_char) && name[0] != '.' &&
            name[0] != '_' && name[0] != '-';
  if (!ok)
    return make_error("'" + name + "' is not a valid user name",
                      "Use 1 to 32 of a-z, 0-9, '.', '_', '-', starting with a letter or digit.");
  return ok_status();
}

Status check_admin_password(const std::string& password) {
  if (password.size() < 8 || password.size() > 256)
    return make_error("the password must have 8 to 256 characters: nothing was changed");
  for (unsigned char c : password)
    if (c < 0x20 || c == 0x7f) return make_error("the password may not hold control characters: nothing was changed");
  return ok_status();
}

Status AdminUsers::add(const std::string& name, Role role, const std::string& password) {
  CONVENE_TRY(check_user_name(name));
  CONVENE_TRY(check_admin_password(password));
  auto credentials = xmpp::make_credentials(xmpp::ScramHash::sha256, password, kAdminPasswordIterations);
  if (!credentials) return credentials.error();
  std::string encoded = xmpp::encode_credentials(*credentials);
  return config_.update(kSection, [&](json& s) -> Status {
    if (!s.is_object()) s = json::object();
    if (s.contains(name))
      return make_error("user '" + name + "' already exists", "Change its password with 'user passwd " + name + "'.");
    s[name] = {{"role", role_name(role)}, {"password", encoded}};
    return ok_status();
  });
}

Status AdminUsers::set_password(const std::string& name, const std::string& password) {
  CONVENE_TRY(check_admin_password(password));
  auto credentials = xmpp::make_credentials(xmpp::ScramHash::sha256, password, kAdminPasswordIterations);
  if (!credentials) return credentials.error();
  std::string encoded = xmpp::encode_credentials(*credentials);
  return config_.update(kSection, [&](json& s) -> Status {
    if (!s.is_object() || !s.contains(name))
      return make_error("no user '" + name + "'", "See the users with 'user list'.");
    s[name]["password"] = encoded;
    return ok_status();
  });
}

Status AdminUsers::remove(const std::string& name) {
  return config_.update(kSection, [&](json& s) -> Status {
    if (!s.is_object() || !s.contains(name))
      return make_error("no user '" + name + "'", "See the users with 'user list'.");
    s.erase(name);
    return ok_status();
  });
}

std::vector<AdminUser> AdminUsers::list() const {
  std::vector<AdminUser> out;
  const json section = config_.section(kSection);
  for (auto& [name, entry] : object_or_empty(section).items()) {
    auto role = parse_role(object_or_empty(entry).value("role", ""));
    if (role) out.push_back({name, *role});
  }
  return out;
}

std::optional<AdminUser> AdminUsers::find(const std::string& name) const {
  for (auto& u : list())
    if (u.name == name) return u;
  return std::nullopt;
}

std::optional<AdminUser> AdminUsers::verify(const std::string& name, const std::string& password) const {
  const json section = config_.section(kSection);
  const json found = object_or_empty(section).value(name, json::object());
  const json& entry = object_or_empty(found);
  auto role = parse_role(entry.value("role", ""));
  auto credentials = xmpp::decode_credentials(entry.value("password", ""));
  if (!role || !credentials) {
    // The same work as a real check, so the time does not tell which names exist.
    auto decoy = xmpp::decoy_credentials(xmpp::ScramHash::sha256, name);
    decoy.iterations = kAdminPasswordIterations;
    xmpp::verify_password(decoy, password);
    return std::nullopt;
  }
  if (!xmpp::verify_password(*credentials, password)) return std::nullopt;
  return AdminUser{name, *role};
}

}  // namespace convene::web
