// The `backup` command group (seed 004). Handlers are thin: the backup library
// (src/backup/node_backup.h) does the work; here are the seed's conversation
// steps: the name check, the WARNING!!! text and (Y/n), "Please wait...".
#include "admin/command_registry.h"
#include "admin/daemon.h"
#include "backup/node_backup.h"
#include "util/files.h"

namespace convene {

namespace {

backup::NodeBackup backups(CommandRequest& req) { return {req.daemon.node(), req.daemon.database()}; }

Status check_name(const std::string& name) {
  if (!is_plain_file_name(name) || name.empty())
    return make_error("'" + name + "' is not a plain file name", "Give a name without '/', e.g. 'backup snapshot before-upgrade'.");
  return ok_status();
}

Status snapshot(CommandRequest& req) {
  CONVENE_TRY(check_name(req.args[0]));
  auto file = backups(req).snapshot(req.args[0]);
  if (!file) return file.error();
  req.io.print(*file + " ready for download");
  return ok_status();
}

Status list(CommandRequest& req) {
  auto names = backups(req).list();
  if (!names) return names.error();
  for (auto& n : *names) req.io.print(n);
  return ok_status();
}

Status rollback(CommandRequest& req) {
  CONVENE_TRY(check_name(req.args[0]));
  auto b = backups(req);
  // The whole file is checked before the question: a corrupt file changes nothing.
  auto about = b.check(req.args[0]);
  if (!about) return about.error();
  CONVENE_TRY(confirm_or_cancel(req.io, "WARNING!!!\nAre you sure you wish to roll back this node to " + req.args[0] +
                                            "? (Y/n)\n" + *about +
                                            "\nThe configuration, keys and certificates, XMPP state and database will "
                                            "be replaced by the backup's."));
  req.io.print("Please wait...");
  CONVENE_TRY(b.rollback(req.args[0], [&](const std::string& s) { req.io.print(s); }));
  req.io.print("Rollback complete");
  return ok_status();
}

}  // namespace

void register_backup_commands(CommandRegistry& r) {
  r.add({{"backup", "snapshot"}, "<name>", "save the node's whole state as <name>.bak", 1, 1, snapshot});
  r.add({{"backup", "rollback"}, "<name>", "restore the node from <name>.bak (asks first)", 1, 1, rollback});
  r.add({{"backup", "list"}, "", "list the backups in the file area", 0, 0, list});
}

}  // namespace convene
