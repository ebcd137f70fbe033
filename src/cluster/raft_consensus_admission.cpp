// What an authenticated peer may ask of this member (raft_consensus.h): the
// consensus half of the identity binding whose certificate half is
// peer_identity.h. A refusal is answered with its reason and logged (at most once
// per 10 s per peer and kind), and changes nothing.
#include "cluster/raft_consensus.h"

#include "util/endpoint.h"
#include "util/log.h"

namespace convene::cluster {

void RaftConsensus::log_refused(const std::string& key, const std::string& what) {
  std::size_t unsaid = 0;
  if (!refusals_.should_log(key, Clock::now(), &unsaid)) return;
  logger("cluster")->warn("node {}: refused: {}{}", config_.id, what,
                          unsaid ? " (" + std::to_string(unsaid) + " other refusals not logged)" : "");
}

std::optional<std::string> RaftConsensus::refusal_of(const Request& req, const PeerHello& from) {
  const struct raft_server* member = find_server(from.id);
  const bool at_its_address = member && from.address == member->address;
  const std::string who = "node " + std::to_string(from.id) + " at " + from.address + " (certificate '" +
                          from.subject + "')";
  switch (req.type) {
    case RequestType::join:
      if (req.id != from.id || req.address != from.address)
        return who + " asked to join as node " + std::to_string(req.id) + " at " + req.address +
               ": a node may only join as itself";
      if (from.standing < PeerStanding::named)
        return who + " may not join: its certificate neither names " + host_of(from.address) +
               " nor is in the trust bundle (a certificate that merely chains to the CA is not enough); "
               "name the node's address in its certificate (subjectAltName) or add its certificate to the trust bundle";
      if (member && !at_its_address && from.standing != PeerStanding::trusted)
        return who + " may not take the id of member " + std::to_string(from.id) + " at " + member->address +
               ": remove that member first, then join";
      return std::nullopt;
    case RequestType::removed_notice: {
      raft_id leader = 0;
      const char* address = nullptr;
      raft_leader(&raft_, &leader, &address);
      // A node removed while it was down does not know the new leader: any voter
      // of its configuration speaks for the cluster then.
      bool from_leader = at_its_address && (leader != 0 ? from.id == leader : member->role == RAFT_VOTER);
      if (!from_leader) return who + " sent a removed notice but is not the leader: ignored";
      return std::nullopt;
    }
    default:
      if (!at_its_address) return who + " is not a member of this cluster at that address: request ignored";
      if (req.type == RequestType::submit && config_.authorize_remote_submit)
        if (auto st = config_.authorize_remote_submit(from.id, req.payload); !st)
          return who + ": " + st.error().message;
      return std::nullopt;
  }
}

bool RaftConsensus::admit_raft_peer(const PeerHello& hello) {
  if (const struct raft_server* s = find_server(hello.id)) {
    if (hello.address == s->address) return true;
    log_refused("raft " + std::to_string(hello.id) + " " + hello.address,
                "raft connection from " + hello.address + " (certificate '" + hello.subject + "') claiming member " +
                    std::to_string(hello.id) + ", which is at " + s->address);
    return false;
  }
  // A node waiting to be joined has no configuration: the leader adding it is
  // not known yet (the join request named it).
  if (raft_.configuration.n == 0) return true;
  notice_stranger(hello.id, hello.address);
  log_refused("raft " + std::to_string(hello.id) + " " + hello.address,
              "raft connection from node " + std::to_string(hello.id) + " at " + hello.address + " (certificate '" +
                  hello.subject + "'): not a member");
  return false;
}

bool RaftConsensus::admit_link(const PeerHello& hello) {
  {
    std::lock_guard lock(status_mutex_);
    for (auto& m : status_.members)
      if (m.id == hello.id && m.address == hello.address) return true;
  }
  log_refused("link " + std::to_string(hello.id) + " " + hello.address,
              "message link from node " + std::to_string(hello.id) + " at " + hello.address + " (certificate '" +
                  hello.subject + "'): not a member at that address");
  return false;
}

}  // namespace convene::cluster
