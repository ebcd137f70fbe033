// Requests (submit, join, remove) on their way to the leader, and what the
// leader does with a submit (raft_consensus.h says how they are routed). Loop
// thread, except the public entry points, which post to it.
#include "cluster/raft_consensus.h"

#include <cstring>

#include "cluster/entry_framing.h"

namespace convene::cluster {
namespace {

constexpr auto kRetryDelay = std::chrono::milliseconds(50);

struct ApplyOp {
  struct raft_apply req;
  std::function<void(int, std::string*)> cb;
};

}  // namespace

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

}  // namespace convene::cluster
