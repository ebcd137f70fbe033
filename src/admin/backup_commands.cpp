// The `backup` command group (seed 004). Handlers are thin: the backup library
// (src/backup/node_backup.h) does the work; here are the seed's conversation
// steps: the name check, the passphrase (asked as a secret, never echoed: twice
// at snapshot, once at rollback, before the question), the WARNING!!! text and
// (Y/n), "Please wait...". A script answers on stdin, one line each:
//   printf '%s\n%s\n' "$pass" "$pass" | mmp backup snapshot before-upgrade
//   printf '%s\nY\n' "$pass" | mmp backup rollback before-upgrade
#include <openssl/crypto.h>

#include "admin/command_registry.h"
#include "admin/daemon.h"
#include "backup/backup_archive.h"
#include "backup/node_backup.h"
#include "util/files.h"

namespace convene {

namespace {

backup::NodeBackup backups(CommandRequest& req) { return {req.daemon.node(), req.daemon.database()}; }

// A passphrase that wipes itself when the command ends.
struct Passphrase {
  std::string text;
  ~Passphrase() {
    if (!text.empty()) OPENSSL_cleanse(text.data(), text.size());
  }
};

Status check_name(const std::string& name) {
  if (!is_plain_file_name(name) || name.empty())
    return make_error("'" + name + "' is not a plain file name", "Give a name without '/', e.g. 'backup snapshot before-upgrade'.");
  return ok_status();
}

Status ask(CommandRequest& req, const char* prompt, Passphrase& out) {
  auto typed = req.io.prompt_secret(prompt);
  if (!typed || typed->empty()) return make_error("no passphrase given: nothing was changed",
                                                  "A backup is sealed with a passphrase; type it when asked.");
  out.text = *typed;
  OPENSSL_cleanse(typed->data(), typed->size());
  return ok_status();
}

Status snapshot(CommandRequest& req) {
  CONVENE_TRY(check_name(req.args[0]));
  Passphrase pass, again;
  CONVENE_TRY(ask(req, "Enter backup passphrase", pass));
  if (pass.text.size() < backup::kMinPassphraseLength)
    return make_error("the passphrase is shorter than " + std::to_string(backup::kMinPassphraseLength) +
                          " characters: nothing was written",
                      "The backup holds every private key and the database; choose a longer passphrase.");
  CONVENE_TRY(ask(req, "Confirm backup passphrase", again));
  if (pass.text != again.text)
    return make_error("the two passphrases differ: nothing was written", "Type the same passphrase twice.");
  auto file = backups(req).snapshot(req.args[0], pass.text, [&](const std::string& s) { req.io.print(s); });
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
  Passphrase pass;
  CONVENE_TRY(ask(req, "Enter backup passphrase", pass));
  // The whole file is opened and checked before the question: a wrong passphrase
  // or a corrupt file changes nothing.
  auto about = b.check(req.args[0], pass.text);
  if (!about) return about.error();
  CONVENE_TRY(confirm_or_cancel(req.io, "WARNING!!!\nAre you sure you wish to roll back this node to " + req.args[0] +
                                            "? (Y/n)\n" + *about +
                                            "\nThe configuration, keys and certificates, XMPP state and database will "
                                            "be replaced by the backup's."));
  req.io.print("Please wait...");
  CONVENE_TRY(b.rollback(req.args[0], pass.text, [&](const std::string& s) { req.io.print(s); }));
  req.io.print("Rollback complete");
  return ok_status();
}

}  // namespace

void register_backup_commands(CommandRegistry& r) {
  r.add({{"backup", "snapshot"}, "<name>", "save the node's whole state as <name>.bak, sealed with a passphrase", 1, 1,
         snapshot});
  r.add({{"backup", "rollback"}, "<name>", "restore the node from <name>.bak (asks the passphrase, then asks first)",
         1, 1, rollback});
  r.add({{"backup", "list"}, "", "list the backups in the file area", 0, 0, list});
}

}  // namespace convene
