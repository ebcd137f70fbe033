#pragma once
// Consensus on Canonical raft 0.15 (private: the rest of the code uses
// consensus.h and start_consensus()).
//
// Threads: `loop_` runs raft, the state machine, the status poll and all
// callbacks; `net_` runs TLS (raft relays and member requests). Public methods
// hand work to the loop with LoopThread::post.
// Requests (submit/join/remove) are routed: handled here when this node leads,
// else sent to the leader named by raft (or to the address given to join) over
// PeerRpc, following "not leader" redirects and retrying every 50 ms until the
// request timeout. Membership changes run on the leader: join = raft_add (spare)
// then raft_assign(RAFT_VOTER); a node re-joining under the same id with another
// address replaces its old entry. A removed node is told so by the leader (and
// notices it in its configuration) and closes its raft by itself.
// What an authenticated peer may ask (raft_consensus_admission.cpp, with
// peer_identity.h): a node joins only as itself and only with a certificate that
// names it or is trusted; requests and message links only from members at their
// configured address; a removed notice only from the leader; raft connections
// only from members at their address (or, before this node has a configuration,
// from whoever adds it).
// Shutdown: raft_close → transport closed (by raft, or here) → raft_uv_close →
// poll timer closed → loop stopped → network stopped.
#include <atomic>
#include <map>
#include <mutex>
#include <optional>
#include <string>

#include "cluster/cluster_messages.h"
#include "cluster/consensus.h"
#include "cluster/loop_thread.h"
#include "cluster/peer_links.h"
#include "cluster/peer_network.h"
#include "cluster/peer_rpc.h"
#include "cluster/raft_c.h"
#include "cluster/raft_tls_transport.h"

namespace convene::cluster {

class RaftConsensus final : public Consensus {
 public:
  explicit RaftConsensus(ConsensusConfig config);
  ~RaftConsensus() override;

  Status start();  // caller's thread, once

  using Consensus::join;
  using Consensus::remove;
  using Consensus::submit;
  void submit(std::string command, Done<std::string> done) override;
  void join(std::string member_address, Done<bool> done) override;
  void remove(std::uint64_t id, Done<bool> done) override;
  void send_message(std::uint64_t member_id, std::string message) override;
  ConsensusStatus status() const override;
  std::vector<Result<tls::PresentedChain>> presented_chains(std::chrono::milliseconds timeout) override;
  void stop() override;

 private:
  using Clock = std::chrono::steady_clock;
  using Respond = std::function<void(Response)>;

  // Loop thread only, below.
  // raft_consensus.cpp: life, status, timers.
  void start_on_loop(std::function<void(Status)> done);
  void after(std::chrono::milliseconds delay, std::function<void()> fn);
  void poll();
  void close_raft(std::function<void()> then);
  bool accepting() const { return raft_open_ && !raft_closing_; }
  // raft_consensus_requests.cpp: routing to the leader, the leader's submit.
  void post_request(Request req, std::string fallback, Respond done);
  void route(Request req, std::string hint, std::string fallback, Clock::time_point deadline,
             std::string last_error, Respond done);
  // `from`: the peer that sent it, or null when it comes from this node.
  void handle_request(const Request& req, const PeerHello* from, Respond respond);
  void lead_submit(const Request& req, Respond respond);
  Response not_leader();
  Response from_raft_error(int rv, const char* what);
  // raft_consensus_admission.cpp (loop thread, but admit_link: network thread).
  std::optional<std::string> refusal_of(const Request& req, const PeerHello& from);
  bool admit_raft_peer(const PeerHello& hello);
  bool admit_link(const PeerHello& hello);
  void log_refused(const std::string& key, const std::string& what);
  // raft_consensus_membership.cpp: the leader's membership changes, removal.
  void lead_join(std::uint64_t id, const std::string& address, Respond respond);
  void lead_assign_voter(std::uint64_t id, Respond respond);
  void lead_remove(std::uint64_t id, Respond respond);
  int change(std::function<int(struct raft_change*)> start, std::function<void(int)> cb);
  void self_remove(const char* why);
  void notice_stranger(std::uint64_t id, const std::string& address);
  const struct raft_server* find_server(std::uint64_t id) const;

  // raft_consensus_state_machine.cpp: raft's fsm callbacks.
  static int fsm_apply(struct raft_fsm* fsm, const struct raft_buffer* buf, void** result);
  static int fsm_snapshot(struct raft_fsm* fsm, struct raft_buffer* bufs[], unsigned* n);
  static int fsm_restore(struct raft_fsm* fsm, struct raft_buffer* buf);

  ConsensusConfig config_;
  std::unique_ptr<LoopThread> loop_;
  std::unique_ptr<PeerNetwork> net_;
  std::unique_ptr<RaftTlsTransport> transport_;
  std::unique_ptr<PeerRpc> rpc_;
  std::unique_ptr<PeerLinks> links_;

  struct raft raft_ {};
  struct raft_io io_ {};
  struct raft_fsm fsm_ {};
  uv_timer_t poll_timer_{};
  bool poll_started_ = false;
  bool raft_open_ = false;     // raft_init succeeded and raft not closed
  bool raft_closing_ = false;  // raft_close called
  std::vector<std::function<void()>> after_close_;
  std::map<uv_timer_t*, std::function<void()>> timers_;
  std::map<std::uint64_t, Respond> inflight_;  // forwarded requests awaiting an answer
  std::uint64_t next_call_ = 1;
  std::string last_result_;
  bool was_member_ = false;
  std::map<std::uint64_t, Clock::time_point> stranger_noticed_;
  RefusalLog refusals_;
  bool removed_ = false;

  mutable std::mutex status_mutex_;
  ConsensusStatus status_;
  std::atomic<bool> started_{false};
  bool loop_started_ = false;  // caller's thread (start/stop)
  std::atomic<bool> stopped_{false};
};

}  // namespace convene::cluster
