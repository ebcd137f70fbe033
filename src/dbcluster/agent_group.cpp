#include "dbcluster/agent_group.h"

#include <thread>

#include <nlohmann/json.hpp>

#include "util/endpoint.h"
#include "util/random.h"

namespace convene::dbcluster {

using json = nlohmann::json;

namespace {
constexpr auto kWait = std::chrono::seconds(10);

std::uint64_t random_nonce() {
  std::uint64_t n = 0;
  while (n == 0) n = random_u64();
  return n;
}
}  // namespace

Result<std::unique_ptr<AgentGroup>> AgentGroup::start(Config config) {
  auto record = std::make_shared<MasterRecord>();
  std::unique_ptr<AgentGroup> group(new AgentGroup(config, record));
  cluster::ConsensusConfig c;
  c.id = config.id;
  c.address = config.pg_address + ":" + std::to_string(kAgentPort);
  c.data_dir = config.data_dir;
  c.tls = config.tls;
  c.state_machine = record;
  c.bootstrap = config.bootstrap;
  auto* raw = group.get();
  c.on_message = [raw](std::uint64_t from, std::string message) { raw->on_message(from, message); };
  c.authorize_remote_submit = &AgentGroup::check_remote_command;
  auto consensus = cluster::start_consensus(std::move(c));
  if (!consensus)
    return make_error("the database agents' group cannot start on " + config.pg_address + ":" +
                          std::to_string(kAgentPort) + ": " + consensus.error().message,
                      consensus.error().hint);
  group->consensus_ = std::move(*consensus);
  return group;
}

AgentGroup::~AgentGroup() { stop(); }

void AgentGroup::stop() {
  if (consensus_) consensus_->stop();
}

Status AgentGroup::init_master(const std::string& master, const std::string& at) {
  auto deadline = Clock::now() + kWait;
  while (consensus_->status().role != cluster::Role::leader) {
    if (Clock::now() > deadline) return make_error("the database agents' new group did not elect this node in time");
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  auto r = consensus_->submit(init_command(master, at)).get();
  if (!r) return r.error();
  resync();
  return ok_status();
}

Status AgentGroup::join(const std::string& member_pg_address) {
  auto r = consensus_->join(member_pg_address + ":" + std::to_string(kAgentPort)).get();
  if (!r)
    return make_error("cannot join the database agents' group through " + member_pg_address + ": " +
                          r.error().message,
                      "Check that port " + std::to_string(kAgentPort) +
                          " is reachable between the nodes and that their certificates share the CA.");
  resync();
  return ok_status();
}

Status AgentGroup::leave() {
  auto st = consensus_->status();
  std::size_t voters = 0;
  for (auto& m : st.members) voters += m.voter;
  if (voters <= 1 || st.removed) return ok_status();  // nobody left to tell
  auto r = consensus_->remove(config_.id).get();
  if (!r) return r.error();
  return ok_status();
}

void AgentGroup::resync() {
  std::uint64_t nonce = random_nonce();
  {
    std::lock_guard lock(mutex_);
    hello_nonce_ = nonce;
  }
  consensus_->submit(hello_command(config_.id, nonce), [](Result<std::string>) {});
}

bool AgentGroup::synced() const {
  std::uint64_t nonce;
  {
    std::lock_guard lock(mutex_);
    nonce = hello_nonce_;
  }
  if (nonce == 0) return false;
  auto v = record_->view();
  auto it = v.hellos.find(config_.id);
  return it != v.hellos.end() && it->second == nonce;
}

bool AgentGroup::in_majority(std::chrono::milliseconds window) const {
  auto st = consensus_->status();
  if (st.removed) return false;
  if (st.role == cluster::Role::leader) {
    std::size_t voters = 0, heard = 0;
    for (auto& m : st.members) {
      if (!m.voter) continue;
      ++voters;
      if (m.id == st.id || (m.last_contact_age && *m.last_contact_age <= window)) ++heard;
    }
    return heard * 2 > voters;
  }
  if (st.leader_id == 0) return false;
  for (auto& m : st.members)
    if (m.id == st.leader_id) return m.last_contact_age && *m.last_contact_age <= window;
  return false;
}

void AgentGroup::report(const AgentReport& mine) {
  auto st = consensus_->status();
  if (st.role == cluster::Role::leader || st.leader_id == st.id) {
    std::lock_guard lock(mutex_);
    reports_[st.id] = {mine, Clock::now()};
    return;
  }
  if (st.leader_id == 0) return;
  consensus_->send_message(st.leader_id, json{{"running", mine.running},
                                              {"standby", mine.standby},
                                              {"epoch", mine.epoch},
                                              {"lsn", mine.lsn}}
                                             .dump());
}

void AgentGroup::on_message(std::uint64_t from, const std::string& message) {
  json m = json::parse(message, nullptr, false);
  if (!m.is_object()) return;
  AgentReport r;
  r.running = m.value("running", false);
  r.standby = m.value("standby", false);
  r.epoch = m.value("epoch", std::uint64_t{0});
  r.lsn = m.value("lsn", std::uint64_t{0});
  std::lock_guard lock(mutex_);
  reports_[from] = {r, Clock::now()};
}

std::map<std::uint64_t, AgentGroup::Received> AgentGroup::reports() const {
  std::lock_guard lock(mutex_);
  return reports_;
}

Result<std::string> AgentGroup::promote(const std::string& address, std::uint64_t from_epoch,
                                        const std::string& at) {
  auto future = consensus_->submit(promote_command(address, from_epoch, at));
  if (future.wait_for(std::chrono::seconds(6)) != std::future_status::ready)
    return make_error("the promotion was not committed in time (outcome unknown)");
  return future.get();
}

std::string AgentGroup::pg_address_of(const std::string& member_address) {
  return host_of(member_address);
}

Status AgentGroup::check_remote_command(std::uint64_t from, std::string_view command) {
  json c = json::parse(command, nullptr, false);
  std::string op = "?";
  if (c.is_object() && c.contains("op") && c["op"].is_string()) op = c["op"].get<std::string>();
  if (op == "hello" && c.contains("id") && c["id"].is_number_unsigned() && c["id"].get<std::uint64_t>() == from)
    return ok_status();
  return make_error("'" + op + "' refused: only the group's leader records the master; a member may only say hello for itself");
}

}  // namespace convene::dbcluster
