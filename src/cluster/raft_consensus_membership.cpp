// Membership changes the leader makes (join, promote to voter, remove), and how
// a removed member learns it and closes its raft. Loop thread.
#include "cluster/raft_consensus.h"

#include "util/log.h"

namespace convene::cluster {
namespace {

struct ChangeOp {
  struct raft_change req;
  std::function<void(int)> cb;
};

static void change_done(struct raft_change* req, int status) {
  auto* op = static_cast<ChangeOp*>(req->data);
  op->cb(status);
  delete op;
}

}  // namespace

int RaftConsensus::change(std::function<int(struct raft_change*)> start, std::function<void(int)> cb) {
  auto* op = new ChangeOp{};
  op->req.data = op;
  op->cb = std::move(cb);
  int rv = start(&op->req);
  if (rv != 0) delete op;
  return rv;
}

const struct raft_server* RaftConsensus::find_server(std::uint64_t id) const {
  for (unsigned i = 0; i < raft_.configuration.n; ++i)
    if (raft_.configuration.servers[i].id == id) return &raft_.configuration.servers[i];
  return nullptr;
}

void RaftConsensus::lead_join(std::uint64_t id, const std::string& address, Respond respond) {
  if (id == 0 || address.empty()) return respond(error_response("a joining node needs an id and an address"));
  const struct raft_server* s = find_server(id);
  if (s && address != s->address) {
    // Same node, new address (reset and moved): replace its old entry.
    logger("cluster")->info("node {}: member {} re-joins from {} (was {}): replacing its entry", config_.id, id,
                            address, s->address);
    int rv = change([&](struct raft_change* c) { return raft_remove(&raft_, c, id, change_done); },
                    [=, this](int status) {
                      if (status != 0) return respond(from_raft_error(status, "cannot replace old entry"));
                      lead_join(id, address, respond);
                    });
    if (rv != 0) respond(from_raft_error(rv, "cannot replace old entry"));
    return;
  }
  if (s && s->role == RAFT_VOTER) return respond(Response{});
  if (s) return lead_assign_voter(id, std::move(respond));
  int rv = change([&](struct raft_change* c) { return raft_add(&raft_, c, id, address.c_str(), change_done); },
                  [=, this](int status) {
                    if (status != 0) return respond(from_raft_error(status, "cannot add member"));
                    lead_assign_voter(id, respond);
                  });
  if (rv != 0) respond(from_raft_error(rv, "cannot add member"));
  else logger("cluster")->info("node {}: adding member {} at {}", config_.id, id, address);
}

void RaftConsensus::lead_assign_voter(std::uint64_t id, Respond respond) {
  int rv = change([&](struct raft_change* c) { return raft_assign(&raft_, c, id, RAFT_VOTER, change_done); },
                  [=, this](int status) {
                    if (status != 0) return respond(from_raft_error(status, "cannot make member a voter"));
                    logger("cluster")->info("node {}: member {} is a voter", config_.id, id);
                    respond(Response{});
                  });
  if (rv == RAFT_BADROLE) return respond(Response{});  // already a voter
  if (rv != 0) respond(from_raft_error(rv, "cannot make member a voter"));
}

void RaftConsensus::lead_remove(std::uint64_t id, Respond respond) {
  const struct raft_server* s = find_server(id);
  if (!s) return respond(Response{});  // already gone
  std::string address = s->address;
  int rv = change([&](struct raft_change* c) { return raft_remove(&raft_, c, id, change_done); },
                  [=, this](int status) {
                    if (status != 0) return respond(from_raft_error(status, "cannot remove member"));
                    logger("cluster")->info("node {}: member {} ({}) removed", config_.id, id, address);
                    if (id != config_.id) {
                      Request notice;
                      notice.type = RequestType::removed_notice;
                      notice.id = id;
                      rpc_->call(address, encode(notice), std::chrono::milliseconds(2000), [](Result<std::string>) {});
                    }
                    respond(Response{});
                  });
  if (rv != 0) respond(from_raft_error(rv, "cannot remove member"));
}

// A raft connection from a node that is not in the configuration: only a member
// removed while it was down (or cut off) does that — a joining node talks to the
// leader through member requests until it is added. Tell it, at most once a
// second, so it shuts its raft down instead of campaigning forever.
void RaftConsensus::notice_stranger(std::uint64_t id, const std::string& address) {
  if (!accepting() || raft_state(&raft_) != RAFT_LEADER || id == config_.id || find_server(id)) return;
  auto now = Clock::now();
  auto& last = stranger_noticed_[id];
  if (now - last < std::chrono::seconds(1)) return;
  last = now;
  logger("cluster")->info("node {}: node {} at {} is not a member (removed): telling it", config_.id, id, address);
  Request notice;
  notice.type = RequestType::removed_notice;
  notice.id = id;
  rpc_->call(address, encode(notice), std::chrono::milliseconds(2000), [](Result<std::string>) {});
}

void RaftConsensus::self_remove(const char* why) {
  if (removed_ || !accepting()) return;
  removed_ = true;
  logger("cluster")->warn("node {}: removed from the cluster ({}): shutting raft down", config_.id, why);
  close_raft([this] {
    ConsensusStatus copy;
    {
      std::lock_guard lock(status_mutex_);
      status_.removed = true;
      copy = status_;
    }
    if (config_.on_change) config_.on_change(copy);
  });
}

}  // namespace convene::cluster
