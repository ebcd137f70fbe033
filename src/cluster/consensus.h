#pragma once
// Consensus: a replicated log with an application state machine, agreed by a
// majority of members. The only thing the rest of Convene sees of the cluster
// layer; the XMPP cluster and the database cluster each run their own instance
// (separate groups, separate members, separate ports and data directories).
//
// Implementation: Canonical raft 0.15 over a mutual-TLS transport
// (raft_consensus.cpp, raft_tls_transport.cpp). Each instance runs one libuv
// loop thread (raft, StateMachine calls, callbacks) and one network thread
// (TLS). Members are identified by a stable non-zero id and an "ip:port"
// address on which they accept both raft traffic and member requests.
//
// Threading contract:
// - StateMachine methods, Done callbacks and the event handler run on the loop
//   thread. They must not block and must not call stop() or the destructor;
//   they may call submit/join/remove/status (those never block).
// - Every Consensus method may be called from any thread; stop() and the
//   destructor block until the instance is fully shut down and must not be
//   called from the loop thread.
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <future>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tls/presented_chain.h"
#include "tls/tls_context_source.h"
#include "util/result.h"

namespace convene::cluster {

// The application's replicated state. Commands are applied in log order,
// exactly once per node; the same commands give the same results on every node.
class StateMachine {
 public:
  virtual ~StateMachine() = default;
  virtual std::string apply(std::string_view command) = 0;
  // The whole state, to let raft truncate its log; restore() takes it back
  // (on a node that fell behind or restarted).
  virtual std::string snapshot() = 0;
  virtual void restore(std::string_view snapshot) = 0;
};

enum class Role { unavailable, follower, candidate, leader };
const char* role_name(Role role);  // "UNAVAILABLE", "FOLLOWER", "CANDIDATE", "LEADER"

struct Member {
  std::uint64_t id = 0;
  std::string address;
  bool voter = false;
  // Time since bytes last arrived from this member, as seen by this node (on the
  // leader: its followers' keep-alive answers). Empty for this node itself and
  // for members never heard from.
  std::optional<std::chrono::milliseconds> last_contact_age;
};

struct ConsensusStatus {
  std::uint64_t id = 0;
  std::string address;
  Role role = Role::unavailable;
  std::uint64_t term = 0;
  std::uint64_t leader_id = 0;  // 0 when unknown
  std::string leader_address;
  std::vector<Member> members;  // this node's view of the configuration
  std::uint64_t last_applied = 0;
  // The highest log index this node knows to be committed (raft's commit_index):
  // ahead of last_applied while entries wait to be applied.
  std::uint64_t commit_index = 0;
  bool removed = false;  // this node was removed from the cluster and has shut down
};

struct ConsensusConfig {
  std::uint64_t id = 0;               // stable, non-zero
  std::string address;                // "ip:port", listened on and told to peers
  std::filesystem::path data_dir;     // raft's log and snapshots; created if missing
  std::shared_ptr<tls::TlsContextSource> tls;  // this node's key/cert and the trust bundle
  std::shared_ptr<StateMachine> state_machine;
  // Make a one-member cluster of this node if the data dir holds no raft state
  // (otherwise ignored). Without it, a fresh node waits to be joined.
  bool bootstrap = false;
  std::chrono::milliseconds election_timeout{300};
  std::chrono::milliseconds heartbeat_timeout{50};
  std::chrono::milliseconds connect_retry_delay{50};
  bool pre_vote = true;
  // How long submit/join/remove keep trying (no leader yet, leader changing).
  std::chrono::milliseconds request_timeout{5000};
  // Called (loop thread) when role, leader, term or membership change, and when
  // this node is removed.
  std::function<void(const ConsensusStatus&)> on_change;
  // Application messages from other members (send_message), on the network
  // thread; must not block. Without it, incoming message links are refused.
  std::function<void(std::uint64_t from, std::string message)> on_message;
  // On the leader, for a command another member submitted (loop thread, must not
  // block): an error refuses it with that message. Commands this node submits
  // itself are not asked about. Without it, every member may submit anything.
  std::function<Status(std::uint64_t from, std::string_view command)> authorize_remote_submit;
};

class Consensus {
 public:
  template <class T>
  using Done = std::function<void(Result<T>)>;

  virtual ~Consensus() = default;

  // Replicates `command` (forwarded to the leader when this node is not the
  // leader); `done` gets the leader's state machine result once the command is
  // committed and applied there. An error whose message says "outcome unknown"
  // means the command may or may not have been applied. `done` runs on the loop
  // thread, or on the caller's thread if the instance is already stopped.
  virtual void submit(std::string command, Done<std::string> done) = 0;
  std::future<Result<std::string>> submit(std::string command);

  // Joins the cluster that `member_address` belongs to (any member: requests are
  // redirected to the leader), as a voter. This node must have been started
  // without bootstrap; its state is replaced by the cluster's.
  virtual void join(std::string member_address, Done<bool> done) = 0;
  std::future<Result<bool>> join(std::string member_address);

  // Removes member `id` (this node included: a clean leave). The removed node
  // shuts its raft down by itself.
  virtual void remove(std::uint64_t id, Done<bool> done) = 0;
  std::future<Result<bool>> remove(std::uint64_t id);

  // Sends an application message to member `member_id` (a member of this node's
  // configuration; others are dropped): ordered per destination, on a persistent
  // mutual-TLS link, best effort (cluster/peer_links.h). Never blocks.
  virtual void send_message(std::uint64_t member_id, std::string message) = 0;

  // What each other member presents now on its cluster port (a probe connection
  // to each, in parallel; tls/presented_chain.h): what a new trust bundle must
  // still accept. An entry per member: its chain, or why it could not be seen
  // (unreachable, or refused by this node's current trust). Waits at most
  // `timeout`. Any thread but the network and loop threads.
  virtual std::vector<Result<tls::PresentedChain>> presented_chains(std::chrono::milliseconds timeout) = 0;

  // A recent view (refreshed every few ms on the loop thread); never blocks on raft.
  virtual ConsensusStatus status() const = 0;

  // Closes raft cleanly; pending requests fail. Idempotent.
  virtual void stop() = 0;
};

// Starts a member: listens on config.address, opens the raft state in
// config.data_dir, bootstraps if asked. Fails with a clear message on bad
// config, unusable data dir, or an address that cannot be listened on.
Result<std::unique_ptr<Consensus>> start_consensus(ConsensusConfig config);

}  // namespace convene::cluster
