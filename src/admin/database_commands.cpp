// The `database cluster` command group (seed 004). Handlers are thin: the
// agent (src/dbcluster/agent.h, owned by the Daemon) does the work; here are the
// seed's conversation steps: checks before the question, the WARNING!!! text and
// (Y/n), "Please wait...", "Remove started...". The call bridge restarts at the
// end of each procedure, as the warnings say (callbridge_database.h).
#include "admin/callbridge_database.h"
#include "admin/command_registry.h"
#include "admin/daemon.h"
#include "dbcluster/agent.h"

namespace convene {

namespace {

dbcluster::Agent& agent(CommandRequest& req) { return req.daemon.database(); }

void print_text(CommandRequest& req, std::string text) {
  while (!text.empty() && text.back() == '\n') text.pop_back();
  req.io.print(text);
}

Status localnode(CommandRequest& req) { return agent(req).set_localnode(req.args[0], req.line); }

Status certs(CommandRequest& req) {
  dbcluster::CertNames n{req.args[0], req.args[1], req.args[2], req.args[3], req.args[4]};
  return agent(req).set_certs(n, req.line, [&](const std::string& s) { req.io.print(s); });
}

Status initialize(CommandRequest& req) {
  auto& a = agent(req);
  CONVENE_TRY(a.check_initialize());
  CONVENE_TRY(confirm_or_cancel(req.io, dbcluster::kInitializeWarning));
  req.io.print("Please wait...");
  CONVENE_TRY(a.initialize(req.line));
  restart_callbridge_for_database(req.daemon, "'database cluster initialize'");
  req.io.print("Initialize complete");
  return ok_status();
}

Status join(CommandRequest& req) {
  auto& a = agent(req);
  // The master must answer before the question: a wrong address destroys nothing.
  CONVENE_TRY(a.check_join(req.args[0]));
  std::string warning = dbcluster::kJoinWarning;
  if (a.in_cluster()) warning += std::string("\n") + dbcluster::kJoinAlreadyNote;
  CONVENE_TRY(confirm_or_cancel(req.io, warning));
  req.io.print("Please wait...");
  CONVENE_TRY(a.join(req.args[0], req.line));
  restart_callbridge_for_database(req.daemon, "'database cluster join'");
  req.io.print("Join complete");
  return ok_status();
}

Status remove(CommandRequest& req) {
  auto& a = agent(req);
  if (!a.in_cluster())
    return make_error("this node is not in a database cluster", "Nothing to remove.");
  CONVENE_TRY(confirm_or_cancel(req.io, dbcluster::kRemoveWarning));
  req.io.print("Please wait...");
  CONVENE_TRY(a.start_remove(req.line));
  req.io.print("Remove started...");
  return ok_status();
}

Status status(CommandRequest& req) {
  print_text(req, agent(req).status_text());
  return ok_status();
}

}  // namespace

void register_database_commands(CommandRegistry& r) {
  r.add({{"database", "cluster", "localnode"}, "<iface>", "interface the database cluster uses", 1, 1, localnode});
  r.add({{"database", "cluster", "certs"}, "<server-key> <server-cert> <client-key> <client-cert> <ca-cert>",
         "the database cluster's certificates (rotated live on a running cluster)", 5, 5, certs});
  r.add({{"database", "cluster", "initialize"}, "", "make this node the master of a new cluster (asks first)", 0, 0,
         initialize});
  r.add({{"database", "cluster", "join"}, "<master-address>", "join the cluster of <master-address> (asks first)", 1, 1,
         join});
  r.add({{"database", "cluster", "remove"}, "", "leave the cluster, keep the data locally (asks first)", 0, 0, remove});
  r.add({{"database", "cluster", "status"}, "", "show the database cluster's state", 0, 0, status});
}

}  // namespace convene
