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

namespace convene {

namespace {

XmppClusterMembership membership(CommandRequest& req) { return XmppClusterMembership(req.daemon); }

Status trust(CommandRequest& req) {
  auto m = membership(req);
  CONVENE_TRY(m.set_trust(req.args[0]));
  if (m.in_cluster())
    req.io.print("This node is in a cluster: the new bundle is used from the next start of the daemon.");
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
  add({"xmpp", "cluster", "trust"}, "<bundle>", "certificates cluster peers must present (CA or the peers' own)", 1, 1,
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
