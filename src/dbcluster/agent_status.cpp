#include "dbcluster/agent_status.h"

#include <algorithm>
#include <future>
#include <map>

#include "dbcluster/agent_core.h"
#include "dbcluster/agent_replication.h"
#include "dbcluster/node_state.h"
#include "dbcluster/status_view.h"
#include "node/node.h"
#include "pki/certificate_info.h"
#include "pki/pem.h"
#include "util/thread_name.h"

namespace convene::dbcluster {

namespace {

// The first line of an error: libpq's messages run over several lines.
std::string first_line(const std::string& text) { return text.substr(0, text.find('\n')); }

// What a PostgreSQL says about itself: primary or standby, and its walreceiver.
// One row even without a walreceiver (the LEFT JOIN).
constexpr const char* kReceiverSql =
    "SELECT pg_is_in_recovery(), w.status, w.sender_host FROM (SELECT 1) AS one "
    "LEFT JOIN pg_stat_wal_receiver AS w ON true";
// The master's walsenders, with whether it is a primary, likewise in one row at least.
constexpr const char* kSendersSql =
    "SELECT pg_is_in_recovery(), r.application_name, r.state, r.sync_state FROM (SELECT 1) AS one "
    "LEFT JOIN pg_stat_replication AS r ON true";

SlaveSide receiver_side(const Result<pg::Rows>& rows, const std::string& why_prefix) {
  SlaveSide s;
  if (!rows || rows->empty()) {
    s.why_unknown = why_prefix + (rows ? "no answer" : first_line(rows.error().message)) + ")";
    return s;
  }
  auto& r = rows->front();
  s.known = true;
  s.in_recovery = r[0].value_or("") == "t";
  s.receiver_status = r[1].value_or("");
  s.sender_host = r[2].value_or("");
  return s;
}

struct MasterAnswer {
  bool answered = false;
  bool in_recovery = false;
  std::string why;  // when not answered
  pg::Rows senders;  // application_name, state, sync_state
};

MasterAnswer master_answer(const Result<pg::Rows>& rows, const std::string& why_prefix) {
  MasterAnswer a;
  if (!rows || rows->empty()) {
    a.why = why_prefix + (rows ? "no answer" : first_line(rows.error().message)) + ")";
    return a;
  }
  a.answered = true;
  a.in_recovery = rows->front()[0].value_or("") == "t";
  for (auto& r : *rows)
    if (r[1]) a.senders.push_back({r[1], r[2], r[3]});
  return a;
}

MasterSide master_side_for(const MasterAnswer& a, const std::string& master, const std::string& slave) {
  MasterSide m;
  if (!a.answered) {
    m.why_unknown = a.why;
    return m;
  }
  m.reached = true;
  if (a.in_recovery) {
    m.why_unknown = "the master " + master + " is not a primary now";
    return m;
  }
  m.known = true;
  for (auto& r : a.senders)
    if (r[0].value_or("") == slave) m.sender = WalSender{r[1].value_or(""), r[2].value_or("")};
  return m;
}

// One member's answer, on a thread of its own (named: the thread table lists it).
Result<pg::Rows> ask(AgentCore& core, const std::string& member, const char* sql) {
  set_thread_name("db-status");
  return core.remote(member, sql);
}

// Each line from what the members' PostgreSQL say now: this node's own (local
// socket), the master's walsenders and every other member's walreceiver (one-shot
// TLS queries, run side by side so unreachable members cost one timeout, not one each).
std::vector<NodeLine> node_lines(AgentCore& core, const std::string& me, const std::string& master) {
  auto members = core.known_members();
  if (std::find(members.begin(), members.end(), me) == members.end()) members.push_back(me);
  std::sort(members.begin(), members.end());

  std::map<std::string, std::future<Result<pg::Rows>>> asked;
  if (!master.empty() && master != me)
    asked[master] = std::async(std::launch::async, [&core, master] { return ask(core, master, kSendersSql); });
  for (auto& m : members)
    if (m != me && m != master)
      asked[m] = std::async(std::launch::async, [&core, m] { return ask(core, m, kReceiverSql); });

  SlaveSide local;
  if (!core.pg.running()) local.why_unknown = "PostgreSQL on this node is not running";
  else local = receiver_side(core.pg.query(kReceiverSql), "PostgreSQL on this node does not answer (");
  MasterAnswer at_master;
  if (master.empty()) {
    at_master.why = "this node knows no master";
  } else if (master == me) {
    if (local.known) at_master = master_answer(core.pg.query(kSendersSql), "PostgreSQL on this node does not answer (");
    else at_master.why = local.why_unknown;
  } else {
    at_master = master_answer(asked[master].get(), "master " + master + " unreachable (");
  }

  std::vector<NodeLine> out;
  for (auto& m : members) {
    NodeLine line{m, m == me, ""};
    if (m == master) {
      line.state = master_state(at_master.answered, at_master.in_recovery, at_master.why, m == me, core.fenced);
    } else {
      SlaveSide s = m == me ? local : receiver_side(asked[m].get(), m + " unreachable (");
      line.state = slave_state(master_side_for(at_master, master, m), s, master, m == me);
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
    v.replication = replication_lines(replication_state(core));
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
