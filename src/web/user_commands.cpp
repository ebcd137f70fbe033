// The `user` command group: the web admin's accounts (admin_users.h). Passwords are
// asked twice without echo, as `xmpp user add` asks them, never given as arguments
// (arguments are logged). Every change writes an audit line (who, what; the log
// line has the time).
#include "admin/daemon.h"
#include "node/node.h"
#include "util/log.h"
#include "web/admin_users.h"
#include "web/web_admin.h"

namespace convene::web {

namespace {

Result<std::string> prompt_new_password(CommandRequest& req) {
  auto password = req.io.prompt_secret("Enter password");
  if (!password || password->empty()) return make_error("no password given: nothing was changed");
  auto again = req.io.prompt_secret("Please confirm password");
  if (!again || *again != *password) return make_error("the passwords do not match: nothing was changed");
  CONVENE_TRY(check_admin_password(*password));
  return *password;
}

Status add(CommandRequest& req) {
  CONVENE_TRY(check_user_name(req.args[0]));
  auto role = parse_role(req.args[1]);
  if (!role) return role.error();
  AdminUsers users(req.node.config());
  if (users.find(req.args[0]))
    return make_error("user '" + req.args[0] + "' already exists", "Change its password with 'user passwd " + req.args[0] + "'.");
  auto password = prompt_new_password(req);
  if (!password) return password.error();
  CONVENE_TRY(users.add(req.args[0], *role, *password));
  logger("audit")->info("who=mmp what='user add {} {}'", req.args[0], role_name(*role));
  req.io.print("User " + req.args[0] + " added (" + role_name(*role) + ")");
  return ok_status();
}

Status passwd(CommandRequest& req) {
  AdminUsers users(req.node.config());
  if (!users.find(req.args[0])) return make_error("no user '" + req.args[0] + "'", "See the users with 'user list'.");
  auto password = prompt_new_password(req);
  if (!password) return password.error();
  CONVENE_TRY(users.set_password(req.args[0], *password));
  logger("audit")->info("who=mmp what='user passwd {}'", req.args[0]);
  req.io.print("Password of " + req.args[0] + " changed");
  return ok_status();
}

Status del(CommandRequest& req) {
  AdminUsers users(req.node.config());
  CONVENE_TRY(users.remove(req.args[0]));
  logger("audit")->info("who=mmp what='user del {}'", req.args[0]);
  req.io.print("User " + req.args[0] + " removed");
  return ok_status();
}

Status list(CommandRequest& req) {
  AdminUsers users(req.node.config());
  auto all = users.list();
  if (all.empty()) {
    req.io.print("No users (add one with 'user add <name> admin|api|audit')");
    return ok_status();
  }
  for (auto& u : all) {
    std::string name = u.name;
    if (name.size() < 33) name.resize(33, ' ');
    req.io.print(name + role_name(u.role));
  }
  return ok_status();
}

}  // namespace

void register_user_commands(CommandRegistry& r) {
  r.add({{"user", "add"}, "<name> admin|api|audit", "add a web admin / API account (asks for the password)", 2, 2, add});
  r.add({{"user", "passwd"}, "<name>", "change an account's password (asks for it)", 1, 1, passwd});
  r.add({{"user", "del"}, "<name>", "remove an account", 1, 1, del});
  r.add({{"user", "list"}, "", "list the accounts and their roles", 0, 0, list});
}

}  // namespace convene::web
