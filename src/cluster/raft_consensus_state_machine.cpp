// raft's state-machine callbacks: committed entries go to the configured
// StateMachine, unframed (entry_framing.h); snapshots are its own bytes. Loop thread.
#include "cluster/raft_consensus.h"

#include <cstring>

#include "cluster/entry_framing.h"
#include "util/log.h"

namespace convene::cluster {

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

}  // namespace convene::cluster
