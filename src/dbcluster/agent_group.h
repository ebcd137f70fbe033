#pragma once
// The database agents' own group: consensus (cluster/consensus.h, a raft group
// separate from the XMPP cluster's) on who the master is (master_record.h), plus
// the reports the agents send the group's leader about their PostgreSQL, so that
// the leader can pick the most advanced standby when the master is lost.
//
// Members talk mutual TLS on port 5433 of their database address (PostgreSQL's
// port + 1), with the cluster's server certificate and CA (the certificate serves
// both ends, so it needs clientAuth as well as serverAuth when it names usages).
// Raft data lives in DIR/state/db-raft.
//
// Who may write the record: the group's leader decides the master (init,
// promote); another member's submission is only its own `hello`
// (check_remote_command, asked by the consensus on the leader). Membership
// itself is the consensus's (a node joins only with a certificate that names it
// or is trusted, cluster/peer_identity.h).
//
// Thread-safety: every method may be called from any thread.
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "cluster/consensus.h"
#include "dbcluster/master_record.h"
#include "util/result.h"

namespace convene::tls {
class TlsContextSource;
}

namespace convene::dbcluster {

inline constexpr unsigned kAgentPort = 5433;

// What an agent tells the leader about its PostgreSQL (sent every worker round).
struct AgentReport {
  bool running = false;
  bool standby = false;
  std::uint64_t epoch = 0;  // the epoch of the master it follows (standby) or is
  std::uint64_t lsn = 0;
};

class AgentGroup {
 public:
  using Clock = std::chrono::steady_clock;

  struct Config {
    std::uint64_t id = 0;
    std::string pg_address;  // this node's database address; the group listens on it, port kAgentPort
    std::filesystem::path data_dir;
    std::shared_ptr<tls::TlsContextSource> tls;
    bool bootstrap = false;  // a new one-member group (initialize)
  };

  static Result<std::unique_ptr<AgentGroup>> start(Config config);
  ~AgentGroup();

  // initialize: waits for this one-member group to lead, then records this node as master.
  Status init_master(const std::string& master, const std::string& at);
  // join: enters the group through any member's database address.
  Status join(const std::string& member_pg_address);
  // Leaves the group (when other members are left to agree); bounded in time.
  Status leave();
  void stop();

  MasterView view() const { return record_->view(); }
  cluster::ConsensusStatus status() const { return consensus_->status(); }

  // Read-your-writes on the record: resync() sends a hello; synced() is true once
  // it has been applied on this node (so this replica has everything before it).
  void resync();
  bool synced() const;

  // A majority of the group is reachable from here: as leader, a majority of
  // voters heard from within `window`; as follower, the leader heard from within it.
  bool in_majority(std::chrono::milliseconds window) const;

  // Sends this node's report to the leader (kept locally when this node leads).
  void report(const AgentReport& mine);
  struct Received {
    AgentReport report;
    Clock::time_point at;
  };
  std::map<std::uint64_t, Received> reports() const;

  // Submits "promote `address` from `epoch`"; the state machine's answer ("ok",
  // "stale") or the error.
  Result<std::string> promote(const std::string& address, std::uint64_t from_epoch, const std::string& at);

  // "127.0.1.1:5433" -> "127.0.1.1"
  static std::string pg_address_of(const std::string& member_address);
  // What member `from` may submit to the leader: its own hello only. Pure.
  static Status check_remote_command(std::uint64_t from, std::string_view command);

 private:
  AgentGroup(Config config, std::shared_ptr<MasterRecord> record) : config_(std::move(config)), record_(std::move(record)) {}
  void on_message(std::uint64_t from, const std::string& message);

  Config config_;
  std::shared_ptr<MasterRecord> record_;
  std::unique_ptr<cluster::Consensus> consensus_;
  mutable std::mutex mutex_;
  std::map<std::uint64_t, Received> reports_;
  std::uint64_t hello_nonce_ = 0;
};

}  // namespace convene::dbcluster
