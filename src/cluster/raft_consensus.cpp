// The consensus's life (start, stop, closing raft), its status as raft shows it
// (polled on the loop), timers, and what needs no leader: member messages and the
// presented chains. Requests: raft_consensus_requests.cpp; membership changes:
// raft_consensus_membership.cpp; the state machine: raft_consensus_state_machine.cpp.
#include "cluster/raft_consensus.h"

#include <signal.h>

#include "util/files.h"
#include "util/log.h"

namespace convene::cluster {
namespace {

constexpr auto kPollInterval = std::chrono::milliseconds(10);

Role role_of(int state) {
  switch (state) {
    case RAFT_LEADER: return Role::leader;
    case RAFT_FOLLOWER: return Role::follower;
    case RAFT_CANDIDATE: return Role::candidate;
    default: return Role::unavailable;
  }
}

bool same_view(const ConsensusStatus& a, const ConsensusStatus& b) {
  if (a.role != b.role || a.term != b.term || a.leader_id != b.leader_id || a.removed != b.removed ||
      a.members.size() != b.members.size())
    return false;
  for (size_t i = 0; i < a.members.size(); ++i)
    if (a.members[i].id != b.members[i].id || a.members[i].voter != b.members[i].voter ||
        a.members[i].address != b.members[i].address)
      return false;
  return true;
}

}  // namespace

RaftConsensus::RaftConsensus(ConsensusConfig config) : config_(std::move(config)) {
  status_.id = config_.id;
  status_.address = config_.address;
}

RaftConsensus::~RaftConsensus() { stop(); }

Status RaftConsensus::start() {
  if (config_.id == 0) return make_error("cluster node id must not be 0");
  CONVENE_TRY(split_address(config_.address));
  if (!config_.tls) return make_error("no TLS certificates configured for the cluster");
  if (!config_.state_machine) return make_error("no state machine given");
  CONVENE_TRY(make_dirs(config_.data_dir, true));
  // A peer dying mid-write must not kill this process (SIGPIPE's default action ends it).
  ::signal(SIGPIPE, SIG_IGN);

  loop_ = std::make_unique<LoopThread>();
  net_ = std::make_unique<PeerNetwork>(config_.tls, config_.id, config_.address);
  transport_ = std::make_unique<RaftTlsTransport>(*loop_, *net_);
  transport_->on_inbound = [this](const PeerHello& hello) { return admit_raft_peer(hello); };
  rpc_ = std::make_unique<PeerRpc>(*net_);
  rpc_->serve([this](const PeerHello& from, std::string bytes, PeerRpc::Reply reply) {
    auto req = decode_request(bytes);
    if (!req) return reply(encode(error_response(req.error().message)));
    bool posted = loop_->post([this, from, req = std::move(*req), reply] {
      handle_request(req, &from, [reply](Response r) { reply(encode(r)); });
    });
    if (!posted) reply(encode(error_response("member is shutting down")));
  });
  links_ = std::make_unique<PeerLinks>(*net_);
  if (config_.on_message) links_->serve(config_.on_message, [this](const PeerHello& h) { return admit_link(h); });
  started_ = true;
  if (auto st = net_->listen(); !st) {
    stop();
    return st;
  }
  loop_->start();
  loop_started_ = true;
  std::promise<Status> result;
  loop_->post([this, &result] { start_on_loop([&result](Status st) { result.set_value(std::move(st)); }); });
  Status st = result.get_future().get();
  if (!st) stop();
  return st;
}

void RaftConsensus::start_on_loop(std::function<void(Status)> done) {
  auto fail = [this, done](std::string message, std::string hint) {
    auto err = make_error("cluster node " + std::to_string(config_.id) + ": " + message, hint);
    if (raft_open_) close_raft([done, err] { done(err); });
    else done(err);
  };
  int rv = raft_uv_init(&io_, loop_->loop(), config_.data_dir.c_str(), transport_->raw());
  if (rv != 0)
    return fail(std::string("cannot open the raft data directory: ") + io_.errmsg, "check its path and permissions");
  raft_uv_set_connect_retry_delay(&io_, static_cast<unsigned>(config_.connect_retry_delay.count()));
  fsm_.version = 1;
  fsm_.data = this;
  fsm_.apply = &RaftConsensus::fsm_apply;
  fsm_.snapshot = &RaftConsensus::fsm_snapshot;
  fsm_.restore = &RaftConsensus::fsm_restore;
  rv = raft_init(&raft_, &io_, &fsm_, config_.id, config_.address.c_str());
  if (rv != 0) {
    std::string msg = std::string("cannot initialise raft: ") + raft_errmsg(&raft_);
    raft_uv_close(&io_);
    return done(make_error(msg));
  }
  raft_.data = this;
  raft_open_ = true;
  raft_set_election_timeout(&raft_, static_cast<unsigned>(config_.election_timeout.count()));
  raft_set_heartbeat_timeout(&raft_, static_cast<unsigned>(config_.heartbeat_timeout.count()));
  raft_set_pre_vote(&raft_, config_.pre_vote);
  if (config_.bootstrap) {
    struct raft_configuration conf;
    raft_configuration_init(&conf);
    rv = raft_configuration_add(&conf, config_.id, config_.address.c_str(), RAFT_VOTER);
    if (rv == 0) rv = raft_bootstrap(&raft_, &conf);
    raft_configuration_close(&conf);
    if (rv != 0 && rv != RAFT_CANTBOOTSTRAP)
      return fail(std::string("cannot bootstrap: ") + raft_strerror(rv), "");
  }
  rv = raft_start(&raft_);
  if (rv != 0) return fail(std::string("cannot start raft: ") + raft_errmsg(&raft_), "the data directory may be damaged");
  uv_timer_init(loop_->loop(), &poll_timer_);
  poll_timer_.data = this;
  uv_timer_start(&poll_timer_, [](uv_timer_t* t) { static_cast<RaftConsensus*>(t->data)->poll(); },
                 kPollInterval.count(), kPollInterval.count());
  poll_started_ = true;
  poll();
  logger("cluster")->info("node {} at {}: raft started (election {} ms, heartbeat {} ms, pre-vote {})",
                          config_.id, config_.address, config_.election_timeout.count(),
                          config_.heartbeat_timeout.count(), config_.pre_vote ? "on" : "off");
  done(ok_status());
}

// ---- any thread ----

void RaftConsensus::send_message(std::uint64_t member_id, std::string message) {
  std::string address;
  {
    std::lock_guard lock(status_mutex_);
    for (auto& m : status_.members)
      if (m.id == member_id) address = m.address;
  }
  if (address.empty() || stopped_ || !links_) return;
  links_->send(address, std::move(message));
}

ConsensusStatus RaftConsensus::status() const {
  std::lock_guard lock(status_mutex_);
  return status_;
}

std::vector<Result<tls::PresentedChain>> RaftConsensus::presented_chains(std::chrono::milliseconds timeout) {
  std::vector<Result<tls::PresentedChain>> out;
  if (!net_ || stopped_) return out;
  auto s = status();
  std::vector<std::future<Result<tls::PresentedChain>>> pending;
  for (auto& m : s.members) {
    if (m.id == s.id) continue;
    auto promise = std::make_shared<std::promise<Result<tls::PresentedChain>>>();
    pending.push_back(promise->get_future());
    net_->probe(m.address, [promise](Result<tls::PresentedChain> r) { promise->set_value(std::move(r)); }, timeout);
  }
  // dial() answers within its timeout; the margin covers a busy network thread.
  auto deadline = std::chrono::steady_clock::now() + timeout + std::chrono::seconds(1);
  for (auto& f : pending) {
    if (f.wait_until(deadline) == std::future_status::ready) out.push_back(f.get());
    else out.push_back(make_error(ErrorCode::deadline_exceeded, "a member did not answer in time"));
  }
  return out;
}

void RaftConsensus::stop() {
  if (!started_ || stopped_.exchange(true)) return;
  if (loop_ && loop_started_) {
    std::promise<void> closed;
    bool posted = loop_->post([this, &closed] {
      auto finish = [this, &closed] {
        if (poll_started_) uv_close(reinterpret_cast<uv_handle_t*>(&poll_timer_), nullptr);
        poll_started_ = false;
        closed.set_value();
      };
      if (raft_open_ && !raft_closing_) close_raft(finish);
      else if (raft_open_) after_close_.push_back(finish);  // closing in progress
      else finish();
    });
    if (posted) closed.get_future().wait();
    loop_->stop();
  }
  if (net_) net_->stop();
  std::lock_guard lock(status_mutex_);
  status_.role = Role::unavailable;
}

// ---- loop thread ----

void RaftConsensus::close_raft(std::function<void()> then) {
  after_close_.push_back(std::move(then));
  if (raft_closing_) return;
  raft_closing_ = true;
  // Requests waiting for a remote answer or a retry fail now.
  auto inflight = std::move(inflight_);
  inflight_.clear();
  for (auto& [id, respond] : inflight) respond(error_response("cluster member is shutting down (outcome unknown)"));
  auto timers = std::move(timers_);
  timers_.clear();
  for (auto& [t, fn] : timers) {
    uv_timer_stop(t);
    uv_close(reinterpret_cast<uv_handle_t*>(t), [](uv_handle_t* h) { delete reinterpret_cast<uv_timer_t*>(h); });
    fn();  // route() sees the closing raft and fails the request
  }
  raft_close(&raft_, [](struct raft* r) {
    auto* self = static_cast<RaftConsensus*>(r->data);
    auto finish = [self] {
      raft_uv_close(&self->io_);
      self->raft_open_ = false;
      {
        std::lock_guard lock(self->status_mutex_);
        self->status_.role = Role::unavailable;
        self->status_.leader_id = 0;
        self->status_.leader_address.clear();
      }
      auto thens = std::move(self->after_close_);
      self->after_close_.clear();
      for (auto& fn : thens) fn();
    };
    if (self->transport_->closed()) finish();
    else self->transport_->close(finish);
  });
}

void RaftConsensus::after(std::chrono::milliseconds delay, std::function<void()> fn) {
  auto* t = new uv_timer_t;
  uv_timer_init(loop_->loop(), t);
  t->data = this;
  timers_[t] = std::move(fn);
  uv_timer_start(t, [](uv_timer_t* t) {
    auto* self = static_cast<RaftConsensus*>(t->data);
    auto it = self->timers_.find(t);
    std::function<void()> fn;
    if (it != self->timers_.end()) {
      fn = std::move(it->second);
      self->timers_.erase(it);
    }
    uv_close(reinterpret_cast<uv_handle_t*>(t), [](uv_handle_t* h) { delete reinterpret_cast<uv_timer_t*>(h); });
    if (fn) fn();
  }, static_cast<uint64_t>(delay.count()), 0);
}

void RaftConsensus::poll() {
  if (!accepting()) return;
  ConsensusStatus s;
  s.id = config_.id;
  s.address = config_.address;
  s.role = role_of(raft_state(&raft_));
  s.term = raft_.current_term;
  raft_id leader = 0;
  const char* leader_address = nullptr;
  raft_leader(&raft_, &leader, &leader_address);
  s.leader_id = leader;
  if (leader_address) s.leader_address = leader_address;
  s.last_applied = raft_last_applied(&raft_);
  s.commit_index = raft_.commit_index;
  auto now = Clock::now();
  bool in_config = false;
  for (unsigned i = 0; i < raft_.configuration.n; ++i) {
    const auto& srv = raft_.configuration.servers[i];
    Member m;
    m.id = srv.id;
    m.address = srv.address;
    m.voter = srv.role == RAFT_VOTER;
    if (srv.id == config_.id) in_config = true;
    else if (auto t = transport_->last_contact(srv.id))
      m.last_contact_age = std::chrono::duration_cast<std::chrono::milliseconds>(now - *t);
    s.members.push_back(std::move(m));
  }
  if (in_config) was_member_ = true;
  bool changed;
  {
    std::lock_guard lock(status_mutex_);
    changed = !same_view(s, status_);
    status_ = s;
  }
  if (changed) {
    logger("cluster")->debug("node {}: {} term {} leader {}", config_.id, role_name(s.role), s.term, s.leader_id);
    if (config_.on_change) config_.on_change(s);
  }
  if (was_member_ && !in_config && raft_.configuration_uncommitted_index == 0)
    self_remove("no longer in the configuration");
}

Result<std::unique_ptr<Consensus>> start_consensus(ConsensusConfig config) {
  auto c = std::make_unique<RaftConsensus>(std::move(config));
  if (auto st = c->start(); !st) return st.error();
  return std::unique_ptr<Consensus>(std::move(c));
}

}  // namespace convene::cluster
