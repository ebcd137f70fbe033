#include "cluster/raft_consensus.h"

#include <signal.h>

#include <cstring>

#include "cluster/entry_framing.h"
#include "util/files.h"
#include "util/log.h"

namespace convene::cluster {
namespace {

constexpr auto kPollInterval = std::chrono::milliseconds(10);
constexpr auto kRetryDelay = std::chrono::milliseconds(50);

Response error_response(std::string message) {
  Response r;
  r.code = ResponseCode::error;
  r.payload = std::move(message);
  return r;
}

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

struct ApplyOp {
  struct raft_apply req;
  std::function<void(int, std::string*)> cb;
};

struct ChangeOp {
  struct raft_change req;
  std::function<void(int)> cb;
};

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

// ---- public entry points (any thread) ----

void RaftConsensus::post_request(Request req, std::string fallback, Respond done) {
  auto deadline = Clock::now() + config_.request_timeout;
  auto shared_done = std::make_shared<Respond>(std::move(done));
  bool posted = loop_ && !stopped_ && loop_->post([this, req, fallback, deadline, shared_done] {
    route(req, "", fallback, deadline, "", *shared_done);
  });
  if (!posted) (*shared_done)(error_response("cluster member is stopped"));
}

void RaftConsensus::submit(std::string command, Done<std::string> done) {
  Request req;
  req.type = RequestType::submit;
  req.payload = std::move(command);
  post_request(std::move(req), "", [done](Response r) {
    if (r.code == ResponseCode::ok) done(std::move(r.payload));
    else done(make_error(r.payload));
  });
}

void RaftConsensus::join(std::string member_address, Done<bool> done) {
  Request req;
  req.type = RequestType::join;
  req.id = config_.id;
  req.address = config_.address;
  post_request(std::move(req), member_address, [done, member_address](Response r) {
    if (r.code == ResponseCode::ok) done(true);
    else done(make_error("cannot join the cluster through " + member_address + ": " + r.payload,
                         "check that the member is up and trusts this node's certificate"));
  });
}

void RaftConsensus::remove(std::uint64_t id, Done<bool> done) {
  Request req;
  req.type = RequestType::remove;
  req.id = id;
  post_request(std::move(req), "", [done, id](Response r) {
    if (r.code == ResponseCode::ok) done(true);
    else done(make_error("cannot remove member " + std::to_string(id) + ": " + r.payload));
  });
}

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

void RaftConsensus::route(Request req, std::string hint, std::string fallback, Clock::time_point deadline,
                          std::string last_error, Respond done) {
  if (!accepting())
    return done(error_response(removed_ ? "this node was removed from the cluster" : "cluster member is shutting down"));
  if (Clock::now() >= deadline)
    return done(error_response("no leader answered in time" + (last_error.empty() ? "" : " (" + last_error + ")")));
  auto retry_later = [=, this](std::string why, std::string next_hint) {
    after(kRetryDelay, [=, this] { route(req, next_hint, fallback, deadline, why, done); });
  };
  if (raft_state(&raft_) == RAFT_LEADER) {
    return handle_request(req, nullptr, [=, this](Response r) {
      if (r.code == ResponseCode::retry || (r.code == ResponseCode::not_leader && req.type != RequestType::submit))
        return retry_later(r.payload, "");
      if (r.code == ResponseCode::not_leader) return retry_later("leadership changed", "");  // not appended
      done(std::move(r));
    });
  }
  std::string target = hint;
  if (target.empty()) {
    raft_id leader = 0;
    const char* address = nullptr;
    raft_leader(&raft_, &leader, &address);
    if (leader != 0 && leader != config_.id && address) target = address;
  }
  if (target.empty()) target = fallback;
  if (target.empty()) return retry_later("no leader known", "");

  std::uint64_t call = next_call_++;
  inflight_[call] = [=, this](Response r) {
    switch (r.code) {
      case ResponseCode::ok:
      case ResponseCode::error: return done(std::move(r));
      case ResponseCode::retry: return retry_later(r.payload, "");
      case ResponseCode::not_leader:
        if (!r.leader_address.empty() && r.leader_address != target && r.leader_id != config_.id)
          return route(req, r.leader_address, fallback, deadline, "redirected", done);
        return retry_later("no leader at " + target, "");
    }
  };
  auto remaining = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
  rpc_->call(target, encode(req), remaining, [this, call, target, req_type = req.type](Result<std::string> r) {
    loop_->post([this, call, target, req_type, r = std::move(r)]() mutable {
      auto it = inflight_.find(call);
      if (it == inflight_.end()) return;
      Respond respond = std::move(it->second);
      inflight_.erase(it);
      if (r) {
        auto resp = decode_response(*r);
        return respond(resp ? std::move(*resp) : error_response(resp.error().message));
      }
      // A request that never reached the member can be retried; a submit that may
      // have reached it cannot (it could be applied twice).
      bool never_sent = r.code() == ErrorCode::unavailable;  // set by PeerNetwork when dialling failed
      if (req_type == RequestType::submit && !never_sent)
        return respond(error_response(r.error().message + " (outcome unknown)"));
      Response retry;
      retry.code = ResponseCode::retry;
      retry.payload = r.error().message;
      respond(std::move(retry));
    });
  });
}

void RaftConsensus::handle_request(const Request& req, const PeerHello* from, Respond respond) {
  if (!accepting()) return respond(error_response("cluster member is shutting down"));
  if (from)
    if (auto why = refusal_of(req, *from)) {
      log_refused(std::to_string(from->id) + " " + from->address + " " + std::to_string(int(req.type)), *why);
      return respond(error_response("refused: " + *why));
    }
  if (req.type == RequestType::removed_notice) {
    if (req.id == config_.id) self_remove("the leader says this node was removed");
    return respond(Response{});
  }
  if (raft_state(&raft_) != RAFT_LEADER) return respond(not_leader());
  switch (req.type) {
    case RequestType::submit: return lead_submit(req, std::move(respond));
    case RequestType::join: return lead_join(req.id, req.address, std::move(respond));
    case RequestType::remove: return lead_remove(req.id, std::move(respond));
    default: return respond(error_response("unknown request"));
  }
}

Response RaftConsensus::not_leader() {
  Response r;
  r.code = ResponseCode::not_leader;
  raft_id id = 0;
  const char* address = nullptr;
  raft_leader(&raft_, &id, &address);
  r.leader_id = id;
  if (address) r.leader_address = address;
  r.payload = "not the leader";
  return r;
}

Response RaftConsensus::from_raft_error(int rv, const char* what) {
  if (rv == RAFT_NOTLEADER || rv == RAFT_LEADERSHIPLOST) {
    Response r = not_leader();
    r.payload = std::string(what) + ": leadership lost";
    return r;
  }
  if (rv == RAFT_CANTCHANGE || rv == RAFT_BUSY) {
    Response r;
    r.code = ResponseCode::retry;
    r.payload = std::string(what) + ": " + raft_strerror(rv);
    return r;
  }
  return error_response(std::string(what) + ": " + raft_strerror(rv));
}

void RaftConsensus::lead_submit(const Request& req, Respond respond) {
  auto* op = new ApplyOp{};
  op->req.data = op;
  op->cb = [respond](int status, std::string* result) {
    if (status == 0) {
      Response r;
      r.payload = result ? *result : std::string();
      return respond(std::move(r));
    }
    respond(error_response(std::string("command not confirmed: ") + raft_strerror(status) + " (outcome unknown)"));
  };
  std::string entry = frame_command(req.payload);
  struct raft_buffer buf;
  buf.len = entry.size();
  buf.base = raft_malloc(buf.len);
  if (!buf.base) {
    delete op;
    return respond(error_response("out of memory"));
  }
  std::memcpy(buf.base, entry.data(), buf.len);
  int rv = raft_apply(&raft_, &op->req, &buf, 1, [](struct raft_apply* r, int status, void* result) {
    auto* op = static_cast<ApplyOp*>(r->data);
    op->cb(status, static_cast<std::string*>(result));
    delete op;
  });
  if (rv != 0) {
    raft_free(buf.base);
    delete op;
    respond(from_raft_error(rv, "command refused"));
  }
}

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

static void change_done(struct raft_change* req, int status) {
  auto* op = static_cast<ChangeOp*>(req->data);
  op->cb(status);
  delete op;
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

int RaftConsensus::fsm_apply(struct raft_fsm* fsm, const struct raft_buffer* buf, void** result) {
  auto* self = static_cast<RaftConsensus*>(fsm->data);
  auto command = unframe_command(std::string_view(static_cast<const char*>(buf->base), buf->len));
  if (!command) {
    // Not written by this version: applying it as something else would diverge.
    logger("cluster")->error("node {}: log entry of {} bytes is not a framed command: skipped", self->config_.id,
                             buf->len);
    self->last_result_.clear();
    *result = &self->last_result_;
    return 0;
  }
  try {
    self->last_result_ = self->config_.state_machine->apply(*command);
  } catch (const std::exception& e) {
    logger("cluster")->error("node {}: state machine apply threw: {}", self->config_.id, e.what());
    self->last_result_.clear();
  }
  *result = &self->last_result_;  // read by the apply callback right away, on the leader
  return 0;
}

int RaftConsensus::fsm_snapshot(struct raft_fsm* fsm, struct raft_buffer* bufs[], unsigned* n) {
  auto* self = static_cast<RaftConsensus*>(fsm->data);
  std::string data = self->config_.state_machine->snapshot();
  *bufs = static_cast<struct raft_buffer*>(raft_malloc(sizeof(struct raft_buffer)));
  if (!*bufs) return RAFT_NOMEM;
  (*bufs)[0].len = data.size();
  (*bufs)[0].base = raft_malloc(data.size() ? data.size() : 1);
  if (!(*bufs)[0].base) {
    raft_free(*bufs);
    return RAFT_NOMEM;
  }
  if (!data.empty()) std::memcpy((*bufs)[0].base, data.data(), data.size());
  *n = 1;
  return 0;
}

int RaftConsensus::fsm_restore(struct raft_fsm* fsm, struct raft_buffer* buf) {
  auto* self = static_cast<RaftConsensus*>(fsm->data);
  self->config_.state_machine->restore(std::string_view(static_cast<const char*>(buf->base), buf->len));
  raft_free(buf->base);
  return 0;
}

Result<std::unique_ptr<Consensus>> start_consensus(ConsensusConfig config) {
  auto c = std::make_unique<RaftConsensus>(std::move(config));
  if (auto st = c->start(); !st) return st.error();
  return std::unique_ptr<Consensus>(std::move(c));
}

}  // namespace convene::cluster
