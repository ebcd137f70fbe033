// `xmpp dns check [<dns server>]`: resolves _xmpp-client._tcp and
// _xmpp-component._tcp for the XMPP domain and compares the targets with the
// nodes that should serve them — the cluster's members, or this node alone —
// naming a missing node, a wrong port, an unresolvable target or a stranger.
// Fails (exit 1) when anything is wrong, so scripts can run it.
//
// Without an argument it asks the DNS server this node's call bridge is set to
// use (`callbridge dns`), and only without one the system's resolver: the records
// that matter are the ones the bridges find, and a lab's or a split-horizon DNS is
// rarely the one in resolv.conf.
#include "admin/command_registry.h"
#include "admin/config_sections.h"
#include "admin/daemon.h"
#include "admin/srv_check.h"
#include "node/node.h"
#include "util/endpoint.h"
#include "xmpp/cluster_store.h"

namespace convene {

namespace {

std::set<std::string> xmpp_nodes(CommandRequest& req, const XmppConfig& config) {
  std::set<std::string> ips;
  if (auto cluster = req.daemon.cluster_store()) {
    for (auto& m : cluster->status().members) ips.insert(host_of(m.address));
    return ips;
  }
  for (auto& name : config.listen)
    if (auto a = req.node.interfaces().address(name)) ips.insert(*a);
  return ips;
}

Status dns_check(CommandRequest& req) {
  XmppConfig s = xmpp_config(req.node.config());
  const std::string& domain = s.domain;
  if (domain.empty()) return make_error("the XMPP domain is not set", "Set it with 'xmpp domain <domain>'.");
  auto nodes = xmpp_nodes(req, s);
  if (nodes.empty())
    return make_error("no XMPP interfaces set: nothing to compare the records with",
                      "Set them with 'xmpp listen <iface>'.");
  std::string server = req.args.empty() ? "" : req.args[0];
  std::string source;
  if (server.empty()) {
    if (auto bridge_dns = callbridge_config(req.node.config()).dns) {
      server = *bridge_dns;
      source = " (the call bridge's, 'callbridge dns')";
    }
  }
  auto resolver = dns::Resolver::create(server);
  if (!resolver) return resolver.error();
  req.io.print("Domain: " + domain + ", DNS server: " + (server.empty() ? "the system's (resolv.conf)" : server + source));
  std::string shown;
  for (auto& n : nodes) shown += (shown.empty() ? "" : ", ") + n;
  req.io.print(std::string(req.daemon.cluster_store() ? "XMPP cluster members: " : "This node (not in a cluster): ") +
               shown);
  auto addresses = [&](const std::string& host) { return (*resolver)->addresses(host); };
  int problems = 0;
  for (auto [service, port] : {std::pair{std::string("_xmpp-client._tcp."), s.client_port},
                               std::pair{std::string("_xmpp-component._tcp."), s.component_port}}) {
    std::string record = service + domain;
    auto check = check_srv(record, (*resolver)->srv(record), addresses, port, nodes);
    for (auto& line : check.lines) req.io.print(line);
    problems += check.problems;
  }
  if (problems)
    return make_error("DNS check found " + std::to_string(problems) + " problem(s)",
                      "Fix the SRV records named above: every XMPP node needs one target in each record, on its "
                      "port, resolving to its address; call bridges and clients only ever try what DNS lists.");
  req.io.print("DNS check: OK, every node is listed in both records.");
  return ok_status();
}

}  // namespace

void register_xmpp_dns_commands(CommandRegistry& r) {
  r.add({{"xmpp", "dns", "check"}, "[<dns server ip:port>]",
         "compare the XMPP SRV records with the cluster's nodes (missing node, wrong port, unresolvable target); "
         "default server: the call bridge's ('callbridge dns'), else the system's", 0,
         1, dns_check});
}

}  // namespace convene
