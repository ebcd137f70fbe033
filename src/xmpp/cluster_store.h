#pragma once
// The XMPP store of a clustered node: the XmppState table replicated by
// Raft (cluster/consensus.h). The table is the consensus state machine: every
// committed log entry is a StoreCommand applied with XmppState::apply, and raft's
// snapshots are XmppState snapshots. Writes made on any member are forwarded to
// the leader; `done` runs once the command is committed AND applied to this
// node's copy (so an admin command reads its own write on the node it ran on).
// Reads come from this node's copy.
//
// Log entries (JSON): {"n":nonce,"c":command} (a StoreCommand), {"n":nonce,
// "load":snapshot} (the whole table replaced: `xmpp cluster initialize` keeps the
// node's data this way, in one entry) and {"n":nonce,"noop":true} (a barrier:
// once it is applied here, so is everything committed before it). The nonce
// ("<member id>-<seq>") lets the submitting node recognise its own entry when it
// applies it. The state machine answers {"ok":true} or {"error":m,"hint":h}.
//
// Member identity: the consensus id is a persistent random number kept by the
// caller (the daemon keeps it in DIR/state/node-id, outside the XMPP data that
// `xmpp reset` erases), so a node that is reset and joins again is the same
// member and replaces its old entry instead of adding a second one.
//
// Thread-safety: as XmppStore; every member may be called from any thread except
// the destructor (not from a `done` callback).
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>

#include "cluster/consensus.h"
#include "tls/tls_context_source.h"
#include "xmpp/cluster_bus.h"
#include "xmpp/store.h"
#include "xmpp/xmpp_state.h"

namespace convene::xmpp {

struct ClusterStoreConfig {
  std::uint64_t id = 0;                   // persistent, non-zero
  std::string address;                    // "ip:port" of this member's cluster listener
  std::filesystem::path data_dir;         // raft's log and snapshots
  std::shared_ptr<tls::TlsContextSource> tls;
  bool bootstrap = false;                 // make a one-member cluster if data_dir holds no raft state
  std::chrono::milliseconds election_timeout{300};
  std::chrono::milliseconds heartbeat_timeout{50};
  std::chrono::milliseconds request_timeout{5000};
};

class ClusterStore : public XmppStore, public ClusterBus {
 public:
  static Result<std::unique_ptr<ClusterStore>> open(ClusterStoreConfig config);

  // Replaces the replicated table by `state` (one log entry), waiting until it is
  // applied here.
  virtual Status load(const XmppState& state) = 0;
  // Joins the cluster `member_address` belongs to, then waits until this node's
  // copy holds everything the cluster committed before the join.
  virtual Status join(const std::string& member_address) = 0;
  // Waits until everything committed before now is applied here.
  virtual Status barrier() = 0;
  // Removes this node from the cluster (a clean leave); raft shuts down.
  virtual Status leave() = 0;

  cluster::ConsensusStatus status() const override = 0;
  virtual cluster::Consensus& consensus() = 0;
  // The cluster port's TLS context (key, certificate, trust bundle), replaceable
  // while the cluster runs: new links use the new one, open links keep theirs.
  virtual std::shared_ptr<tls::TlsContextSource> tls() const = 0;
  // Closes raft; pending writes fail. Idempotent.
  virtual void stop() = 0;
};

// Every user, roster, offline message and call bridge of `store`, as a table
// (what `xmpp cluster initialize` carries from the local store into the cluster).
Result<XmppState> copy_state(const XmppStore& store);

}  // namespace convene::xmpp
