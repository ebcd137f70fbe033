#include "dbcluster/agent_status.h"

#include <algorithm>

#include "dbcluster/agent_core.h"
#include "dbcluster/status_view.h"
#include "node/node.h"
#include "pki/certificate_info.h"
#include "pki/pem.h"

namespace convene::dbcluster {

namespace {

std::vector<NodeLine> node_lines(AgentCore& core, const std::string& me, const std::string& master) {
  auto members = core.known_members();
  if (std::find(members.begin(), members.end(), me) == members.end()) members.push_back(me);
  std::sort(members.begin(), members.end());
  std::string sql = "SELECT application_name, state, sync_state FROM pg_stat_replication";
  Result<pg::Rows> repl = master == me ? core.pg.query(sql) : core.remote(master, sql);
  std::vector<NodeLine> out;
  for (auto& m : members) {
    NodeLine line{m, m == me, ""};
    if (m == master && m == me && core.fenced) {
      line.state = "Fenced Master (no majority: not accepting writes)";
    } else if (m == master) {
      line.state = (m == me ? core.pg.running() : repl.ok()) ? "Connected Master" : "Unreachable";
    } else if (!repl) {
      line.state = m == me ? "Disconnected Slave (master unreachable)" : "Unknown (master unreachable)";
    } else {
      line.state = m == me ? "Disconnected Slave" : "Unreachable";
      for (auto& r : *repl) {
        if (r[0].value_or("") != m) continue;
        auto state = r[1].value_or(""), sync = r[2].value_or("");
        if (state == "streaming")
          line.state = (sync == "sync" || sync == "quorum") ? "Connected Slave ( In Sync )"
                                                            : "Connected Slave ( Out Of Sync )";
        else
          line.state = "Connected Slave ( Catching Up )";
      }
    }
    out.push_back(line);
  }
  return out;
}

std::vector<CertLine> cert_lines(const Node& node, const DatabaseConfig& cfg, const std::string& me) {
  CertNames c = cfg.certs.value_or(CertNames{});
  std::vector<CertLine> out = {{"Server Key", c.server_key, {}, false},
                               {"Server Certificate", c.server_cert, {}, false},
                               {"Client Key", c.client_key, {}, false},
                               {"Client Certificate", c.client_cert, {}, false},
                               {"CA Certificate", c.ca_cert, {}, false}};
  for (auto& line : out) {
    if (line.file.empty()) continue;
    auto p = node.paths().existing_file(line.file);
    if (!p) {
      line.missing = true;
      continue;
    }
    if (line.label.find("Certificate") == std::string::npos) continue;
    auto certs = pki::load_certificates(*p);
    if (certs && !certs->empty()) {
      auto info = pki::read_certificate_info(certs->front().get());
      if (info) line.info = *info;
      if (info && line.label == "Server Certificate" && !me.empty() && !certificate_names(*info, me))
        line.unnamed_address = me;
    }
  }
  return out;
}

}  // namespace

std::string status_text(AgentCore& core) {
  StatusView v;
  DatabaseConfig cfg;
  {
    std::lock_guard lock(core.state_mutex);
    cfg = core.settings();
    if (core.disabling) {
      v.state = StatusView::State::kDisabling;
      v.disabling_seconds =
          std::chrono::duration_cast<std::chrono::seconds>(AgentClock::now() - core.disabling_since).count();
    }
  }
  if (v.state != StatusView::State::kDisabling && cfg.enabled) v.state = StatusView::State::kEnabled;
  v.interface = cfg.interface;
  auto me = core.my_address();
  if (v.state == StatusView::State::kEnabled && me) {
    v.node_in_use = cfg.master;
    v.nodes = node_lines(core, *me, cfg.master);
    std::lock_guard lock(core.state_mutex);
    v.failover = core.failover_line;
  }
  v.certs = cert_lines(core.node, cfg, me ? *me : "");
  v.last_command = cfg.last_command;
  v.last_ok = cfg.last_ok;
  v.last_error = cfg.last_error;
  auto text = render_status(v, pki::current_time());
  while (!text.empty() && text.back() == '\n') text.pop_back();
  return text;
}

void log_expiry(AgentCore& core) {
  auto me = core.my_address();
  auto lines = cert_lines(core.node, core.settings(), me ? *me : "");
  for (auto& w : expiry_warnings(lines, pki::current_time())) core.log->warn("certificate: {}", w);
  for (auto& l : lines)
    if (!l.unnamed_address.empty())
      core.log->error("certificate: {} {} does not name this node's address {}: the other members refuse it "
                      "(sslmode=verify-full); issue it with every node's address as subjectAltName",
                      l.label, l.file, l.unnamed_address);
}

}  // namespace convene::dbcluster
