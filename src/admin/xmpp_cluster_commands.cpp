// The `xmpp cluster` command group: trust, enable, disable, initialize, join,
// status, remove. Handlers are thin: XmppClusterMembership (xmpp_cluster.h) does
// the work and makes every check before anything changes; here are the
// conversation steps and the lines the operator reads.
//
// `remove` takes a member out of the cluster, typically one that died for good, so
// that the majority is counted over the members that are left. The operator names
// it as `xmpp cluster status` shows it (its XMPP address, "127.0.1.3:5222"), or by
// its IP alone. Every check is made before the question is asked, so a refused
// command changes nothing and asks nothing; the question is asked before the
// cluster lock is taken, so an operator pondering it does not block the other
// `xmpp cluster` commands.
#include "admin/command_registry.h"
#include "admin/xmpp_cluster.h"
#include "admin/xmpp_live_tls.h"
#include "node/node.h"

namespace convene {

namespace {

XmppClusterMembership membership(CommandRequest& req) { return XmppClusterMembership(req.daemon); }

// In a cluster the bundle is checked against this node's certificate and the
// certificates the other members present now (xmpp_live_tls.h), then used
// at once for new links. `force` applies a bundle that fails the check (saying
// what it refuses), for an operator who knows the peers change with it.
Status trust(CommandRequest& req) {
  const bool force = req.args.size() > 1;
  if (force && req.args[1] != "force")
    return make_error("unknown option '" + req.args[1] + "'",
                      "Usage: xmpp cluster trust <bundle> [force]");
  auto m = membership(req);
  if (m.in_cluster()) {
    auto path = req.node.paths().existing_file(req.args[0]);
    if (!path) return path.error();
    auto check = check_trust_for_cluster(req.daemon, *path, req.args[0]);
    if (!check) return check.error();
    auto* refusals = &check->refusals;
    if (!refusals->empty() && !force) {
      std::string all;
      for (auto& r : *refusals) all += "- " + r + "\n";
      return make_error(ErrorCode::failed_precondition,
                        "the trust bundle '" + req.args[0] + "' would break this XMPP cluster: " + refusals->front(),
                        "Nothing was changed. What the bundle refuses:\n" + all +
                            "The refused certificates would fail at their next connection (links are re-made at "
                            "any time), leaving the cluster half-connected.\n" + staged_ca_change_hint() +
                            "\nTo apply it anyway: xmpp cluster trust " + req.args[0] + " force");
    }
    for (auto& r : *refusals) req.io.print("WARNING: applied with 'force', although " + r);
    for (auto& u : check->unchecked)
      req.io.print("WARNING: could not see what this member presents, so the bundle was not checked against it: " + u);
  }
  CONVENE_TRY(m.set_trust(req.args[0]));
  if (m.in_cluster()) {
    auto applied = apply_xmpp_tls(req.daemon);
    if (!applied) return applied.error();
    req.io.print("The cluster port verifies new links with '" + req.args[0] + "' now (open links stay up).");
  }
  return ok_status();
}

Status enable(CommandRequest& req) { return membership(req).enable(); }

Status disable(CommandRequest& req) {
  return membership(req).disable([&](const std::string& line) { req.io.print(line); });
}

Status initialize(CommandRequest& req) {
  auto done = membership(req).initialize();
  if (!done) return done.error();
  req.io.print("XMPP cluster initialized: one node (" + done->shown_address + "), the leader, with this node's " +
               std::to_string(done->users) + " users and " + std::to_string(done->callbridges) + " call bridges.");
  return ok_status();
}

Status join_cluster(CommandRequest& req) {
  auto joined = membership(req).join(req.args[0]);
  if (!joined) return joined.error();
  req.io.print("Joined the XMPP cluster of " + req.args[0] + " (" + std::to_string(joined->members) +
               " nodes); this node now serves the cluster's data.");
  for (auto& name : joined->only_here)
    req.io.print("NOTE: call bridge " + name + " was only on this node and is not in the cluster: add it with "
                 "'xmpp callbridge add-secret " + name + "'.");
  return ok_status();
}

Status cluster_status(CommandRequest& req) {
  membership(req).status([&](const std::string& line) { req.io.print(line); });
  return ok_status();
}

Status remove(CommandRequest& req) {
  auto m = membership(req);
  auto removal = m.check_remove(req.args[0]);
  if (!removal) return removal.error();
  const std::string& shown = removal->shown;
  CONVENE_TRY(confirm_or_cancel(
      req.io, "WARNING!!!\n"
              "Are you sure you wish to remove " + shown + " from the XMPP cluster? (Y/n)\n"
              "It no longer counts for the majority and gets no more data. To bring it back later,\n"
              "run 'xmpp cluster disable' then 'xmpp cluster join <member>' on it."));
  auto left = m.remove(*removal);
  if (!left) return left.error();
  req.io.print("Removed " + shown + " from the XMPP cluster; members now: " + *left + ".");
  req.io.print("If " + shown + " runs again, it serves no cluster data until you run 'xmpp cluster disable' and "
               "'xmpp cluster join <member>' there.");
  return ok_status();
}

}  // namespace

void register_xmpp_cluster_commands(CommandRegistry& r) {
  auto add = [&](std::vector<std::string> words, std::string usage, std::string help, size_t min_args,
                 size_t max_args, CommandHandler handler) {
    r.add({std::move(words), std::move(usage), std::move(help), min_args, max_args, std::move(handler)});
  };
  add({"xmpp", "cluster", "trust"}, "<bundle> [force]",
      "certificates cluster peers must present (CA or the peers' own); applied live, checked against the peers", 1, 2,
      trust);
  add({"xmpp", "cluster", "enable"}, "", "enable clustering on this node", 0, 0, enable);
  add({"xmpp", "cluster", "disable"}, "", "leave the cluster and disable clustering", 0, 0, disable);
  add({"xmpp", "cluster", "initialize"}, "", "make a one-node cluster here, keeping this node's data", 0, 0,
      initialize);
  add({"xmpp", "cluster", "join"}, "<node>", "join the cluster <node> belongs to (its data replaces this node's)", 1,
      1, join_cluster);
  add({"xmpp", "cluster", "status"}, "", "show the cluster's state, term and peers", 0, 0, cluster_status);
  add({"xmpp", "cluster", "remove"}, "<node>", "remove another member (e.g. a dead one) from the cluster", 1, 1,
      remove);
}

}  // namespace convene
