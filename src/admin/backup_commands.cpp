// The `backup` command group (seed 004): snapshot, list, rollback of the node's
// configuration, keys and certificates, XMPP state and database, as one
// self-checking .bak file in the file area (src/dbcluster/backup_archive.h).
#include "admin/command_registry.h"
#include "admin/daemon.h"
#include "dbcluster/agent.h"
#include "util/files.h"

namespace convene {

namespace {

dbcluster::Agent& agent(CommandRequest& req) { return req.daemon.database(); }

Status check_name(const std::string& name) {
  if (!is_plain_file_name(name) || name.empty())
    return make_error("'" + name + "' is not a plain file name", "Give a name without '/', e.g. 'backup snapshot before-upgrade'.");
  return ok_status();
}

Status snapshot(CommandRequest& req) {
  CONVENE_TRY(check_name(req.args[0]));
  auto file = agent(req).snapshot(req.args[0]);
  if (!file) return file.error();
  req.io.print(*file + " ready for download");
  return ok_status();
}

Status list(CommandRequest& req) {
  auto names = agent(req).list_backups();
  if (!names) return names.error();
  for (auto& n : *names) req.io.print(n);
  return ok_status();
}

Status rollback(CommandRequest& req) {
  CONVENE_TRY(check_name(req.args[0]));
  auto& a = agent(req);
  // The whole file is checked before the question: a corrupt file changes nothing.
  auto about = a.check_backup(req.args[0]);
  if (!about) return about.error();
  CONVENE_TRY(confirm_or_cancel(req.io, "WARNING!!!\nAre you sure you wish to roll back this node to " + req.args[0] +
                                            "? (Y/n)\n" + *about +
                                            "\nThe configuration, keys and certificates, XMPP state and database will "
                                            "be replaced by the backup's."));
  req.io.print("Please wait...");
  CONVENE_TRY(a.rollback(req.args[0], [&](const std::string& s) { req.io.print(s); }));
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
