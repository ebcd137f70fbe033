// The cluster router's life cycle, this node's own changes (the registry's
// observer hooks), the dispatch of messages from other nodes, and the tick.
// The per-node registry is in cluster_router_registry.cpp, forwarded stanzas in
// cluster_router_relay.cpp.
#include "xmpp/cluster_router.h"

#include <asio/post.hpp>

#include <future>

#include "util/random.h"
#include "xmpp/cluster_router_sender.h"
#include "xmpp/server.h"

namespace convene::xmpp {

using Clock = std::chrono::steady_clock;

ClusterRouter::ClusterRouter(Server& server, std::shared_ptr<ClusterBus> bus)
    : server_(server), bus_(std::move(bus)), self_(bus_->status().id), incarnation_(random_u64()) {}

ClusterRouter::~ClusterRouter() = default;

void ClusterRouter::start(asio::io_context& io) {
  std::weak_ptr<ClusterRouter> weak = weak_from_this();
  bus_->set_message_handler([weak](std::uint64_t from, std::string bytes) {
    if (auto self = weak.lock()) self->on_message(from, std::move(bytes));
  });
  timer_ = std::make_unique<asio::steady_timer>(io);
  asio::post(io, [weak] {
    if (auto self = weak.lock()) self->tick();
  });
}

void ClusterRouter::stop() {
  bus_->set_message_handler(nullptr);
  if (timer_) {
    std::promise<void> done;
    asio::post(timer_->get_executor(), [this, &done] {
      stopped_ = true;
      timer_->cancel();
      done.set_value();
    });
    done.get_future().wait();
  }
  std::lock_guard lock(registry_mu_);
  server_.registry.clear_remote();
  registry_.clear();
}

// ---- this node's sessions (SessionObserver: the registry's order lock held) ------

void ClusterRouter::on_bound(const Session& s) { session_up(s); }

void ClusterRouter::on_presence_changed(const Session& s) { session_up(s); }

void ClusterRouter::session_up(const Session& s) {
  std::lock_guard order(local_mu_);
  RouterMessage m;
  m.type = RouterMessageType::session_up;
  m.node = self_;
  {
    std::lock_guard lock(s.state_mutex());
    m.sessions.push_back({s.jid().full(), s.available_unlocked(), s.priority_unlocked(), {}});
  }
  m.sessions[0].presence = s.presence();
  to_leader_or_all(m);
  std::lock_guard lock(pending_mu_);
  fresh_[m.sessions[0].jid] = Fresh{m.sessions[0], Clock::now()};
}

void ClusterRouter::on_unbound(const Jid& jid) {
  std::lock_guard order(local_mu_);
  RouterMessage m;
  m.type = RouterMessageType::session_down;
  m.node = self_;
  m.jid = jid.full();
  to_leader_or_all(m);
  std::lock_guard lock(pending_mu_);
  fresh_.erase(m.jid);
}

void ClusterRouter::on_component_up(const std::string& domain) { component_changed(domain, true); }

void ClusterRouter::on_component_down(const std::string& domain) { component_changed(domain, false); }

void ClusterRouter::component_changed(const std::string& domain, bool connected) {
  std::lock_guard order(local_mu_);
  RouterMessage m;
  m.type = connected ? RouterMessageType::component_up : RouterMessageType::component_down;
  m.node = self_;
  m.jid = domain;
  to_leader_or_all(m);
}

void ClusterRouter::to_leader_or_all(const RouterMessage& m) {
  auto st = bus_->status();
  if (st.leader_id == 0) return;  // sent whole to the next leader (tick)
  if (st.leader_id != self_) return bus_->send(st.leader_id, encode(m));
  to_others(m, 0);
}

void ClusterRouter::to_others(const RouterMessage& m, std::uint64_t except) {
  auto st = bus_->status();
  std::string bytes = encode(m);
  for (auto& member : st.members)
    if (member.id != self_ && member.id != except) bus_->send(member.id, bytes);
}

// ---- messages from other nodes (network thread) ----------------------------------

void ClusterRouter::on_message(std::uint64_t from, std::string bytes) {
  auto m = decode_router_message(bytes);
  if (!m) {
    server_.log->warn("cluster: undecodable message from member {:x} ignored", from);
    return;
  }
  // The consensus view is copied only for registry messages: forwarded stanzas,
  // the hot path, do not need it (unless they come through the leader).
  auto leader = [this] { return bus_->status().leader_id; };
  if (!may_send(*m, from, 0) && !may_send(*m, from, leader())) {
    if (refusals_.should_log(std::to_string(from) + " " + std::to_string(int(m->type)), Clock::now()))
      server_.log->warn("cluster: member {:x} may not send a message of type {} about member {:x}: ignored", from,
                        int(m->type), m->node);
    return;
  }
  switch (m->type) {
    case RouterMessageType::session_up:
    case RouterMessageType::session_down:
    case RouterMessageType::component_up:
    case RouterMessageType::component_down:
    case RouterMessageType::bridge_freed: {
      if (m->node == self_) {
        // The leader freed this node's call bridge (it did not hear from it for a
        // while): register again, so that the claim comes back at once.
        if (m->type == RouterMessageType::bridge_freed) register_with(from);
        return;
      }
      {
        std::lock_guard lock(registry_mu_);
        apply_registry(*m, from);
      }
      if (m->node == from && leader() == self_) to_others(*m, from);
      return;
    }
    case RouterMessageType::node_sessions:
    case RouterMessageType::register_node: {
      if (m->node == self_) {
        // The leader dropped this node's entries (it did not hear from it for a
        // while, e.g. a partition): register again.
        if (from != self_ && from == leader()) register_with(from);
        return;
      }
      const bool registering = m->type == RouterMessageType::register_node && m->node == from;
      // The leader sends its own list last after the others' (send_registry): with it, this copy is whole.
      if (m->node == from && from == leader()) {
        synced_with_ = from;
        std::lock_guard lock(pending_mu_);  // held stanzas may go now (the next one sent, or the tick)
        if (route_view_.leader == from) route_view_.registry_current = true;
      }
      std::vector<SessionEntry> gone;
      {
        std::lock_guard lock(registry_mu_);
        // A member's own list, or any list with sessions in it (the member is back),
        // says which sessions ended; an empty list from the leader about another
        // member is what a silent member gets: its sessions are absent, not ended.
        gone = replace_node(m->node, *m, m->node == from || !m->sessions.empty());
        if (registering) {
          registered_at_[from] = Clock::now();
          silenced_.erase(from);
        }
      }
      if (!registering) return;
      // A node registering with the one it takes for the leader gets back the
      // lists this node knows to be current — even if it does not know yet that
      // it leads (its view of raft lags by a poll).
      send_registry(from);
      if (leader() == self_) {
        m->type = RouterMessageType::node_sessions;
        to_others(*m, from);
        announce_gone(gone);
      }
      return;
    }
    case RouterMessageType::relay: {
      if (m->target_node == self_) return deliver_here(*m);
      {
        std::lock_guard lock(pending_mu_);
        ++counters_.passed_on;
      }
      m->type = RouterMessageType::deliver;
      bus_->send(m->target_node, encode(*m));
      return;
    }
    case RouterMessageType::deliver:
      if (from == m->node && !m->sessions.empty()) learn_sender(*m);
      return deliver_here(*m);
    case RouterMessageType::delivered:
      m->seqs = {m->seq};
      [[fallthrough]];
    case RouterMessageType::delivered_many: {
      if (m->incarnation != incarnation_) return;
      std::lock_guard lock(pending_mu_);
      for (auto seq : m->seqs)
        if (auto it = pending_.find(seq); it != pending_.end()) {
          pending_bytes_ -= it->second.stanza.size();
          stream_done(it->second.target_node);
          pending_.erase(it);
        }
      return;
    }
  }
}

// ---- the tick ----------------------------------------------------------------------

void ClusterRouter::schedule_tick() {
  if (stopped_) return;
  timer_->expires_after(kTick);
  std::weak_ptr<ClusterRouter> weak = weak_from_this();
  timer_->async_wait([weak](std::error_code ec) {
    if (ec) return;
    if (auto self = weak.lock()) self->tick();
  });
}

void ClusterRouter::tick() {
  if (stopped_) return;
  auto st = bus_->status();
  const auto now = Clock::now();
  refresh_route_view(st);
  if (st.leader_id != self_) {
    std::lock_guard lock(registry_mu_);
    leading_since_.reset();
  }
  if (st.leader_id != last_leader_) {
    last_leader_ = st.leader_id;
    if (st.leader_id != 0 && st.leader_id != self_) {
      register_with(st.leader_id);
      last_registered_ = now;
    }
    if (st.leader_id == self_) {
      {
        std::lock_guard lock(registry_mu_);
        leading_since_ = now - kLeadershipLag;  // registrations that beat this tick count
      }
      // What reached this node before it knew it led (registrations it did not
      // pass on) goes to everyone now.
      for (auto& member : st.members)
        if (member.id != self_) send_registry(member.id);
    }
    if (st.leader_id != 0) resend(true, now);  // what the old leader may have lost goes again
  } else {
    resend(false, now);
    // Anti-entropy: a change the leader missed (sent while it was being replaced)
    // is mended by the next whole list.
    if (st.leader_id != 0 && st.leader_id != self_ && now - last_registered_ > kRegisterEvery) {
      register_with(st.leader_id);
      last_registered_ = now;
    }
  }
  // Entries of nodes that left the configuration (everyone), or that the leader
  // has not heard from in a while (the leader, which then tells the others).
  bounce_overflow();
  {
    std::lock_guard lock(absent_mu_);
    absent_.forget_old(now);
  }
  std::vector<SessionEntry> gone;
  std::vector<std::uint64_t> silent;
  {
    std::lock_guard lock(registry_mu_);
    for (auto& [node, entries] : registry_) {
      const cluster::Member* member = nullptr;
      for (auto& m : st.members)
        if (m.id == node) member = &m;
      bool dead = !member && !st.members.empty();
      if (st.leader_id == self_ && member && member->last_contact_age && *member->last_contact_age > kSilentAfter)
        dead = true;
      if (dead) silent.push_back(node);
    }
    for (auto node : silent) {
      RouterMessage empty;
      empty.type = RouterMessageType::node_sessions;
      empty.node = node;
      auto g = replace_node(node, empty, false);
      gone.insert(gone.end(), g.begin(), g.end());
    }
  }
  if (st.leader_id == self_) {
    drop_silent_bridges(st);
    // Every silent member once, whether or not this node holds entries of it:
    // another node may still hold a copy this node never had.
    std::vector<std::uint64_t> newly_silent;
    {
      std::lock_guard lock(registry_mu_);
      for (auto& m : st.members) {
        bool is_silent = m.id != self_ && m.last_contact_age && *m.last_contact_age > kSilentAfter;
        if (!is_silent) {
          silenced_.erase(m.id);
        } else if (silenced_.insert(m.id).second) {
          newly_silent.push_back(m.id);
        }
      }
    }
    for (auto node : newly_silent) {
      server_.log->info("cluster: member {:x} silent: its sessions are dropped everywhere", node);
      RouterMessage empty;
      empty.type = RouterMessageType::node_sessions;
      empty.node = node;
      to_others(empty, 0);
    }
    announce_gone(gone);
  } else {
    std::lock_guard lock(registry_mu_);
    silenced_.clear();
    bridges_silenced_.clear();
  }
  schedule_tick();
}

bool ClusterRouter::registry_current() const {
  auto leader = bus_->status().leader_id;
  if (leader == 0) return false;
  if (leader != self_) return synced_with_ == leader;
  std::lock_guard lock(registry_mu_);
  return leading_since_ && Clock::now() - *leading_since_ > kLeadershipLag + kSilentAfter;
}

ClusterRouter::Counters ClusterRouter::counters() const {
  Counters c;
  {
    std::lock_guard lock(pending_mu_);
    c = counters_;
    c.unconfirmed = pending_.size();
  }
  std::lock_guard lock(registry_mu_);
  for (auto& [node, e] : registry_) {
    c.remote_sessions += e.sessions.size();
    c.remote_components += e.components.size();
  }
  return c;
}

}  // namespace convene::xmpp
