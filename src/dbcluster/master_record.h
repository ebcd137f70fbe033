#pragma once
// Which node is the database cluster's master: the replicated state the database
// agents agree on through consensus (Canonical raft, a group of their own).
//
// The record is {master address, epoch}. Every change of master is a
// compare-and-set on the epoch ("promote B from epoch N"), so two agents that
// decide at once cannot both win: the second finds the epoch moved and its
// command is refused as stale. An agent only acts as master when the record it
// has applied names it, after a read through the log (`hello` with a nonce of its
// own: once its own hello is applied here, this replica holds every change
// committed before it).
//
// Commands are JSON: {"op":"init","master":A,"at":T}, {"op":"promote","master":B,"from":N,"at":T},
// {"op":"hello","id":I,"nonce":K}. Pure and deterministic: unit-tested.
//
// Thread-safety: apply/snapshot/restore run on the consensus loop thread; view()
// may be called from any thread (one mutex).
#include <cstdint>
#include <map>
#include <mutex>
#include <string>

#include "cluster/consensus.h"

namespace convene::dbcluster {

struct MasterView {
  std::string master;       // PostgreSQL address of the master; empty before init
  std::uint64_t epoch = 0;  // 1 at initialize, +1 per promotion
  std::string since;        // when it became master (UTC, as the deciding agent's clock said)
  std::string previous;     // the master it took over from; empty after initialize
  std::map<std::uint64_t, std::uint64_t> hellos;  // member id -> last nonce applied
};

std::string init_command(const std::string& master, const std::string& at = "");
std::string promote_command(const std::string& master, std::uint64_t from_epoch, const std::string& at = "");
std::string hello_command(std::uint64_t id, std::uint64_t nonce);

class MasterRecord final : public cluster::StateMachine {
 public:
  // Results: "ok", or "stale" (a promote whose epoch has moved on), or "bad".
  std::string apply(std::string_view command) override;
  std::string snapshot() override;
  void restore(std::string_view snapshot) override;

  MasterView view() const;

 private:
  mutable std::mutex mutex_;
  MasterView view_;
};

}  // namespace convene::dbcluster
