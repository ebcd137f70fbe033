#include "admin/srv_check.h"

#include "util/strings.h"

namespace convene {

SrvCheck check_srv(const std::string& record, const Result<dns::SrvAnswer>& answer,
                   const std::function<Result<std::vector<std::string>>(const std::string&)>& addresses,
                   unsigned expected_port, const std::set<std::string>& nodes) {
  SrvCheck out;
  auto problem = [&](std::string line) {
    out.lines.push_back("  PROBLEM: " + line);
    ++out.problems;
  };
  out.lines.push_back(record + " (nodes listen on port " + std::to_string(expected_port) + "):");
  if (!answer) {
    problem("look-up failed: " + answer.error().message);
    out.lines.push_back("  Add one SRV record per XMPP node, e.g. '" + record + ". 300 IN SRV 10 50 " +
                        std::to_string(expected_port) + " <node name>.'");
    return out;
  }
  std::set<std::string> served;
  for (auto& t : answer->targets) {
    std::string line = t.endpoint() + " (priority " + std::to_string(t.priority) + ", weight " +
                       std::to_string(t.weight) + ")";
    auto addrs = addresses(t.host);
    if (!addrs) {
      problem(line + ": the target does not resolve: " + addrs.error().message);
      continue;
    }
    line += " -> " + join(*addrs, ", ");
    bool member = false;
    for (auto& a : *addrs)
      if (nodes.count(a)) {
        member = true;
        served.insert(a);
      }
    if (!member) problem(line + ": not an XMPP node of this cluster");
    else if (t.port != expected_port) problem(line + ": wrong port (the nodes listen on " + std::to_string(expected_port) + ")");
    else out.lines.push_back("  OK: " + line);
  }
  for (auto& n : nodes)
    if (!served.count(n)) problem("node " + n + " is missing: no target of " + record + " resolves to it");
  return out;
}

}  // namespace convene
