#include "admin/callbridge_holder.h"

#include <nlohmann/json.hpp>

#include "admin/callbridge_settings.h"
#include "admin/daemon.h"
#include "admin/xmpp_cluster.h"
#include "util/files.h"
#include "xmpp/cluster_store.h"

namespace convene {

using nlohmann::json;

namespace {

// A call bridge's own report (callbridge/status.h), or an empty object.
json report(const std::filesystem::path& file) {
  if (file.empty()) return json::object();
  auto text = read_file(file);
  json st = text ? json::parse(*text, nullptr, false) : json();
  return st.is_object() ? st : json::object();
}

// Whether `st` is the report of a process connected from `peer` (the server's name
// for the connection): then that process is the one holding the name here.
bool connected_from(const json& st, const std::string& peer) {
  return st.value("state", "") == "connected" && !peer.empty() && st.value("local_address", "") == peer;
}

// Which process of this node holds the name through the local connection from `peer`.
std::string local_holder(Daemon& daemon, const std::string& name, const xmpp::ComponentHolder& h) {
  std::string from = "from " + h.peer;
  if (!h.standby) {
    auto own = callbridge_config(daemon.node().config());
    auto proc = daemon.callbridge().state();
    if (own.name == name && proc.pid && connected_from(report(callbridge_files(daemon.node().paths()).status), h.peer))
      return "this node, its own call bridge (pid " + std::to_string(proc.pid) + ", " + from + ")";
    return "this node, a call bridge it does not run (" + from + ")";
  }
  for (auto& v : daemon.standbys().views())
    if (v.name == name && v.process.pid && connected_from(report(v.status_file), h.peer))
      return "this node, its standby (pid " + std::to_string(v.process.pid) + ", " + from + ")";
  return "this node, a standby it does not run (" + from + ")";
}

// "127.0.1.2:5222 (another node)", by the address `xmpp cluster status` shows.
std::string other_node(Daemon& daemon, std::uint64_t id) {
  if (auto cluster = daemon.cluster_store())
    for (auto& m : cluster->status().members)
      if (m.id == id) return shown_cluster_peer(daemon.node(), m.address) + " (another node)";
  char hex[32];
  std::snprintf(hex, sizeof hex, "%llx", static_cast<unsigned long long>(id));
  return std::string("cluster member ") + hex + " (not in this node's view of the cluster)";
}

}  // namespace

std::string describe_holder(Daemon& daemon, const std::string& name, const std::string& domain) {
  if (name.empty() || domain.empty()) return "unknown (the call bridge's name or domain is not set)";
  auto h = daemon.xmpp().component_holder(name + "." + domain);
  switch (h.where) {
    case xmpp::ComponentHolder::Where::here: return local_holder(daemon, name, h);
    case xmpp::ComponentHolder::Where::other_node: return other_node(daemon, h.node);
    case xmpp::ComponentHolder::Where::nobody:
      return daemon.cluster_store() ? "nobody (no instance is connected anywhere in the cluster)"
                                    : "nobody (no instance is connected to this node)";
    case xmpp::ComponentHolder::Where::unknown: break;
  }
  return "unknown (" + h.why_unknown + ")";
}

std::string describe_standby(Daemon& daemon, const std::string& name) {
  for (auto& v : daemon.standbys().views()) {
    if (v.name != name) continue;
    if (!v.process.pid)
      return "restarting" + (v.process.last_exit.empty() ? std::string() : " (last exit: " + v.process.last_exit + ")");
    std::string text = "running (pid " + std::to_string(v.process.pid) + "), ";
    json st = report(v.status_file);
    std::string state = st.value("state", "");
    if (state == "connected")
      return text + "holds the name now, " + (st.value("tls", false) ? "over TLS" : "without TLS");
    if (state == "connecting" && st.value("held_elsewhere", false))
      return text + "waiting: the name is held elsewhere" +
             (v.tls ? " (connects with TLS)" : " (connects without TLS: this node's XMPP service has no certificate)");
    if (state.empty()) return text + "starting (no report yet)";
    return text + state + (st.value("message", "").empty() ? "" : ": " + st.value("message", ""));
  }
  auto own = callbridge_config(daemon.node().config());
  if (own.enabled && own.name == name) return "none: this node serves " + name + " itself";
  if (!daemon.cluster_store()) return "none: this node is not in an XMPP cluster";
  if (!daemon.xmpp().status().running) return "none: the XMPP service does not run on this node";
  // The follower starts wanted standbys every 500 ms: one missing for longer failed to start.
  return "none: not started yet (if it stays so, convened.log says why)";
}

}  // namespace convene
