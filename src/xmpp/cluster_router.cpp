#include "xmpp/cluster_router.h"

#include <asio/post.hpp>

#include <future>
#include <optional>

#include "util/random.h"
#include "xml/stream_parser.h"
#include "xmpp/c2s.h"
#include "xmpp/component.h"
#include "xmpp/server.h"

namespace convene::xmpp {

using Clock = std::chrono::steady_clock;

// A session held by another node, as this node's router sees it.
class RemoteSession final : public Session {
 public:
  RemoteSession(std::weak_ptr<ClusterRouter> router, std::uint64_t node, Jid jid)
      : router_(std::move(router)), node_(node), jid_(std::move(jid)) {}
  void deliver(std::string_view bytes) override {
    if (auto r = router_.lock()) r->relay(node_, jid_.full(), bytes);
  }
  const Jid& jid() const override { return jid_; }
  bool available() const override {
    std::lock_guard lock(mu_);
    return available_;
  }
  int priority() const override {
    std::lock_guard lock(mu_);
    return priority_;
  }
  std::string presence() const override {
    std::lock_guard lock(mu_);
    return presence_;
  }
  std::mutex& state_mutex() const override { return mu_; }
  bool available_unlocked() const override { return available_; }
  int priority_unlocked() const override { return priority_; }
  std::uint64_t node() const override { return node_; }

  void update(const SessionEntry& e) {
    std::lock_guard lock(mu_);
    available_ = e.available;
    priority_ = e.priority;
    presence_ = e.presence;
  }
  SessionEntry entry() const {
    std::lock_guard lock(mu_);
    return {jid_.full(), available_, priority_, presence_};
  }

 private:
  std::weak_ptr<ClusterRouter> router_;
  const std::uint64_t node_;
  const Jid jid_;
  mutable std::mutex mu_;
  bool available_ = false;
  int priority_ = 0;
  std::string presence_;
};

namespace {

// Parses one forwarded stanza (bytes of a jabber:client stanza) and routes it
// afresh: for a stanza whose target session ended while it travelled.
class Rerouter final : public xml::StreamHandler {
 public:
  explicit Rerouter(Server& server) : server_(server) {}
  void on_stream_open(const xml::StreamHeader&) override {}
  void on_stream_close() override {}
  void on_stanza(xml::Element& stanza, std::string_view raw) override {
    auto from = Jid::parse(stanza.attr("from"));
    auto to = Jid::parse(stanza.attr("to"));
    if (!from || !to) return;
    route(server_, *from, *to, stanza, raw);
  }

 private:
  Server& server_;
};

// Subscription presence and roster pushes: what a client answers from its roster.
// A false positive (the word in an attribute value) only costs a sync.
bool needs_store_sync(std::string_view stanza) {
  std::string_view head = stanza.substr(0, stanza.find('>'));
  if (head.starts_with("<presence")) return head.find("subscribe") != std::string_view::npos;
  if (head.starts_with("<iq")) return stanza.find(kRosterNs) != std::string_view::npos;
  return false;
}

void reroute(Server& server, std::string_view bytes) {
  Rerouter handler(server);
  xml::StreamParser parser(handler, {server.settings.limits.max_stanza_bytes, server.settings.limits.max_depth,
                                     std::string(kClientNs)});
  std::string doc = "<stream:stream xmlns='" + std::string(kClientNs) + "' xmlns:stream='" + std::string(kStreamsNs) + "'>";
  doc.append(bytes);
  if (auto err = parser.feed(doc))
    server.log->warn("cluster: a forwarded stanza could not be parsed again: {}", err->text);
}

}  // namespace

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
  std::unique_lock l(server_.mu);
  server_.remote_components.clear();
  for (auto it = server_.sessions.begin(); it != server_.sessions.end();) {
    std::erase_if(it->second, [](auto& s) { return s->node() != 0; });
    it = it->second.empty() ? server_.sessions.erase(it) : std::next(it);
  }
  registry_.clear();
}

// ---- this node's sessions -----------------------------------------------------

void ClusterRouter::local_session_changed(const Session& s) {
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
}

void ClusterRouter::local_session_ended(const Jid& jid) {
  std::lock_guard order(local_mu_);
  RouterMessage m;
  m.type = RouterMessageType::session_down;
  m.node = self_;
  m.jid = jid.full();
  to_leader_or_all(m);
}

void ClusterRouter::local_component_changed(const std::string& domain, bool connected) {
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

RouterMessage ClusterRouter::own_sessions() const {
  RouterMessage m;
  m.type = RouterMessageType::node_sessions;
  m.node = self_;
  std::vector<std::shared_ptr<Session>> local;
  {
    std::shared_lock lock(server_.mu);
    for (auto& [bare, list] : server_.sessions)
      for (auto& s : list)
        if (s->node() == 0) local.push_back(s);
    for (auto& [domain, c] : server_.components) m.components.push_back(domain);
  }
  for (auto& s : local) m.sessions.push_back({s->jid().full(), s->available(), s->priority(), s->presence()});
  return m;
}

RouterMessage ClusterRouter::node_sessions(std::uint64_t node) {
  RouterMessage m;
  m.type = RouterMessageType::node_sessions;
  m.node = node;
  auto it = registry_.find(node);
  if (it == registry_.end()) return m;
  for (auto& [jid, s] : it->second.sessions) m.sessions.push_back(s->entry());
  m.components.assign(it->second.components.begin(), it->second.components.end());
  return m;
}

// ---- the registry ---------------------------------------------------------------

void ClusterRouter::put_session(std::uint64_t node, const SessionEntry& e) {
  auto& entries = registry_[node];
  auto it = entries.sessions.find(e.jid);
  if (it != entries.sessions.end()) return it->second->update(e);
  auto jid = Jid::parse(e.jid);
  if (!jid || !jid->has_resource()) return;
  auto s = std::make_shared<RemoteSession>(weak_from_this(), node, *jid);
  s->update(e);
  entries.sessions.emplace(e.jid, s);
  std::unique_lock lock(server_.mu);
  server_.sessions[std::string(jid->bare_view())].push_back(std::move(s));
}

void ClusterRouter::drop_session(std::uint64_t node, const std::string& jid) {
  auto& entries = registry_[node];
  auto it = entries.sessions.find(jid);
  if (it == entries.sessions.end()) return;
  auto s = it->second;
  entries.sessions.erase(it);
  std::unique_lock lock(server_.mu);
  auto list = server_.sessions.find(std::string(s->jid().bare_view()));
  if (list == server_.sessions.end()) return;
  std::erase_if(list->second, [&](auto& x) { return x.get() == s.get(); });
  if (list->second.empty()) server_.sessions.erase(list);
}

void ClusterRouter::put_component(std::uint64_t node, const std::string& domain) {
  registry_[node].components.insert(domain);
  std::unique_lock lock(server_.mu);
  server_.remote_components[domain] = node;
}

void ClusterRouter::drop_component(std::uint64_t node, const std::string& domain) {
  registry_[node].components.erase(domain);
  // A call bridge that moved is claimed by its new node too until the old claim
  // goes (the old node died without saying so): the remaining claim wins.
  std::uint64_t other = 0;
  for (auto& [n, entries] : registry_)
    if (n != node && entries.components.count(domain)) other = n;
  std::unique_lock lock(server_.mu);
  auto it = server_.remote_components.find(domain);
  if (it == server_.remote_components.end() || it->second != node) return;
  if (other) it->second = other;
  else server_.remote_components.erase(it);
}

std::vector<SessionEntry> ClusterRouter::replace_node(std::uint64_t node, const RouterMessage& m) {
  std::vector<SessionEntry> gone;
  std::set<std::string> keep;
  for (auto& e : m.sessions) keep.insert(e.jid);
  auto& entries = registry_[node];
  std::vector<std::string> drop;
  for (auto& [jid, s] : entries.sessions)
    if (!keep.count(jid)) {
      drop.push_back(jid);
      if (s->available()) gone.push_back(s->entry());
    }
  for (auto& jid : drop) drop_session(node, jid);
  for (auto& e : m.sessions) put_session(node, e);
  std::set<std::string> components(m.components.begin(), m.components.end());
  auto old = registry_[node].components;
  for (auto& d : old)
    if (!components.count(d)) drop_component(node, d);
  for (auto& d : components) put_component(node, d);
  if (m.sessions.empty() && m.components.empty()) registry_.erase(node);
  return gone;
}

void ClusterRouter::apply_registry(const RouterMessage& m) {
  if (m.node == self_ || m.node == 0) return;
  switch (m.type) {
    case RouterMessageType::session_up:
      if (!m.sessions.empty()) put_session(m.node, m.sessions[0]);
      return;
    case RouterMessageType::session_down: return drop_session(m.node, m.jid);
    case RouterMessageType::component_up: return put_component(m.node, m.jid);
    case RouterMessageType::component_down: return drop_component(m.node, m.jid);
    case RouterMessageType::node_sessions: replace_node(m.node, m); return;
    default: return;
  }
}

// ---- messages from other nodes (network thread) ----------------------------------

void ClusterRouter::on_message(std::uint64_t from, std::string bytes) {
  auto m = decode_router_message(bytes);
  if (!m) {
    server_.log->warn("cluster: undecodable message from member {:x} ignored", from);
    return;
  }
  // The consensus view is copied only for registry messages: forwarded stanzas,
  // the hot path, do not need it.
  auto leader = [this] { return bus_->status().leader_id; };
  switch (m->type) {
    case RouterMessageType::session_up:
    case RouterMessageType::session_down:
    case RouterMessageType::component_up:
    case RouterMessageType::component_down: {
      {
        std::lock_guard lock(registry_mu_);
        apply_registry(*m);
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
      std::vector<SessionEntry> gone;
      {
        std::lock_guard lock(registry_mu_);
        gone = replace_node(m->node, *m);
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
      m->type = RouterMessageType::deliver;
      bus_->send(m->target_node, encode(*m));
      return;
    }
    case RouterMessageType::deliver: return deliver_here(*m);
    case RouterMessageType::delivered: {
      if (m->incarnation != incarnation_) return;
      std::lock_guard lock(pending_mu_);
      pending_.erase(m->seq);
      return;
    }
  }
}

void ClusterRouter::deliver_here(const RouterMessage& m) {
  bool repeat;
  {
    std::lock_guard lock(pending_mu_);
    auto& seen = seen_[{m.node, m.incarnation}];
    repeat = !seen.insert(m.seq).second;
    while (seen.size() > 8192) seen.erase(seen.begin());
    if (repeat) ++counters_.duplicates;
    else ++counters_.delivered_here;
  }
  if (!repeat) {
    bool hold = false, start = false;
    {
      std::lock_guard lock(held_mu_);
      hold = syncing_ || needs_store_sync(m.stanza);
      if (hold) held_.push_back({m, generation_});
      if (hold && !syncing_) start = syncing_ = true;
    }
    if (start) begin_sync();
    if (!hold) deliver_now(m);
  }
  RouterMessage ack;
  ack.type = RouterMessageType::delivered;
  ack.node = self_;
  ack.incarnation = m.incarnation;
  ack.seq = m.seq;
  bus_->send(m.node, encode(ack));
}

void ClusterRouter::begin_sync() {
  std::uint64_t generation;
  {
    std::lock_guard lock(held_mu_);
    generation = ++generation_;
  }
  std::weak_ptr<ClusterRouter> weak = weak_from_this();
  bus_->sync([weak, generation] {
    if (auto self = weak.lock()) self->end_sync(generation);
  });
}

// Everything held before the sync began is now safe to deliver (in order); what
// arrived since waits for the next sync.
void ClusterRouter::end_sync(std::uint64_t generation) {
  for (;;) {
    std::optional<RouterMessage> next;
    bool again = false;
    {
      std::lock_guard lock(held_mu_);
      if (!held_.empty() && held_.front().generation < generation) {
        next = std::move(held_.front().message);
        held_.pop_front();
      } else if (!held_.empty()) {
        again = true;
      } else {
        syncing_ = false;
      }
    }
    if (next) {
      deliver_now(*next);
      continue;
    }
    if (again) begin_sync();
    return;
  }
}

void ClusterRouter::deliver_now(const RouterMessage& m) {
  if (deliver_local(m.jid, m.stanza)) return;
  // The session ended on the way (or was never here): route it as new.
  server_.log->info("cluster: stanza from member {:x} for {}: no such session here, routed again", m.node, m.jid);
  reroute(server_, m.stanza);
}

bool ClusterRouter::deliver_local(const std::string& target, const std::string& stanza) {
  auto jid = Jid::parse(target);
  if (!jid) return false;
  if (!jid->has_local()) {  // a call bridge of this node
    std::shared_lock lock(server_.mu);
    auto it = server_.components.find(target);
    if (it == server_.components.end()) return false;
    it->second->send(stanza);
    return true;
  }
  for (auto& s : sessions_of(server_, jid->bare_view()))
    if (s->node() == 0 && s->jid() == *jid) {
      s->deliver(stanza);
      return true;
    }
  return false;
}

ClusterRouter::Location ClusterRouter::locate(const std::string& target) {
  auto jid = Jid::parse(target);
  if (!jid) return Location{Location::gone, 0};
  std::shared_lock lock(server_.mu);
  if (!jid->has_local()) {
    if (server_.components.count(target)) return Location{Location::here, 0};
    auto it = server_.remote_components.find(target);
    // A call bridge between two connections is briefly nowhere: keep trying.
    return it == server_.remote_components.end() ? Location{Location::unknown, 0} : Location{Location::elsewhere, it->second};
  }
  auto it = server_.sessions.find(std::string(jid->bare_view()));
  if (it != server_.sessions.end())
    for (auto& s : it->second)
      if (s->jid() == *jid) return s->node() == 0 ? Location{Location::here, 0} : Location{Location::elsewhere, s->node()};
  return Location{Location::gone, 0};
}

// Sends unconfirmed stanzas again (all of them, or those unconfirmed for
// kResendAfter), each to where its target is now: a session or call bridge
// may have moved (or its node died) since the stanza first left.
void ClusterRouter::resend(bool all, std::uint64_t leader, Clock::time_point now) {
  std::vector<std::pair<std::uint64_t, std::string>> due;
  {
    std::lock_guard lock(pending_mu_);
    for (auto it = pending_.begin(); it != pending_.end();) {
      if (now - it->second.first_sent > kGiveUpAfter) {
        server_.log->warn("cluster: stanza for {} never confirmed by member {:x}: dropped", it->second.jid,
                          it->second.target_node);
        it = pending_.erase(it);
        continue;
      }
      if (all || now - it->second.last_sent > kResendAfter) due.emplace_back(it->first, it->second.jid);
      ++it;
    }
  }
  for (auto& [seq, jid] : due) {
    auto where = locate(jid);  // without pending_mu_ (lock order)
    std::optional<Pending> take;
    {
      std::lock_guard lock(pending_mu_);
      auto it = pending_.find(seq);
      if (it == pending_.end()) continue;  // confirmed meanwhile
      if (where.kind == Location::here || where.kind == Location::gone) {
        take = std::move(it->second);
        pending_.erase(it);
      } else {
        if (where.kind == Location::elsewhere) it->second.target_node = where.member;
        it->second.last_sent = now;
        send_pending(seq, it->second, leader);
        ++counters_.resent;
      }
    }
    if (take && !deliver_local(take->jid, take->stanza)) {
      server_.log->info("cluster: unconfirmed stanza for {}: the session is gone, routed again", take->jid);
      reroute(server_, take->stanza);
    }
  }
}

// ---- stanzas to other nodes ------------------------------------------------------

void ClusterRouter::relay(std::uint64_t node, const std::string& jid, std::string_view bytes) {
  auto leader = bus_->status().leader_id;
  std::lock_guard lock(pending_mu_);
  std::uint64_t seq = next_seq_++;
  auto now = Clock::now();
  auto& p = pending_[seq] = Pending{node, jid, std::string(bytes), now, now};
  ++counters_.forwarded;
  send_pending(seq, p, leader);
}

bool ClusterRouter::to_remote_component(std::string_view domain, std::string_view bytes) {
  std::uint64_t node = 0;
  {
    std::shared_lock lock(server_.mu);
    auto it = server_.remote_components.find(std::string(domain));
    if (it == server_.remote_components.end()) return false;
    node = it->second;
  }
  relay(node, std::string(domain), bytes);
  return true;
}

// pending_mu_ held.
void ClusterRouter::send_pending(std::uint64_t seq, const Pending& p, std::uint64_t leader) {
  if (leader == 0) return;  // sent again once a leader is known
  RouterMessage m;
  m.type = leader == self_ ? RouterMessageType::deliver : RouterMessageType::relay;
  m.node = self_;
  m.incarnation = incarnation_;
  m.seq = seq;
  m.target_node = p.target_node;
  m.jid = p.jid;
  m.stanza = p.stanza;
  bus_->send(leader == self_ ? p.target_node : leader, encode(m));
}

void ClusterRouter::register_with(std::uint64_t leader) {
  std::lock_guard order(local_mu_);
  RouterMessage m = own_sessions();
  m.type = RouterMessageType::register_node;
  bus_->send(leader, encode(m));
}

// This node's own list and its copies of the lists of nodes that registered
// with it since it became leader (it has had every change of theirs since).
// Never an older copy: it could bring back ended sessions or hide new ones.
void ClusterRouter::send_registry(std::uint64_t to) {
  std::vector<RouterMessage> copy;
  {
    std::lock_guard lock(registry_mu_);
    const auto since = leading_since_.value_or(Clock::now() - kLeadershipLag);
    for (auto& [node, entries] : registry_) {
      auto at = registered_at_.find(node);
      if (node != to && at != registered_at_.end() && at->second >= since) copy.push_back(node_sessions(node));
    }
  }
  for (auto& m : copy) bus_->send(to, encode(m));
  std::lock_guard order(local_mu_);
  bus_->send(to, encode(own_sessions()));  // last: this node's own claims are the freshest
}

void ClusterRouter::announce_gone(const std::vector<SessionEntry>& sessions) {
  if (!sessions.empty()) server_.log->info("cluster: {} session(s) of a gone member announced unavailable", sessions.size());
  for (auto& e : sessions)
    if (auto jid = Jid::parse(e.jid)) announce_unavailable(server_, *jid);
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
    if (st.leader_id != 0) resend(true, st.leader_id, now);  // what the old leader may have lost goes again
  } else {
    resend(false, st.leader_id, now);
    // Anti-entropy: a change the leader missed (sent while it was being replaced)
    // is mended by the next whole list.
    if (st.leader_id != 0 && st.leader_id != self_ && now - last_registered_ > kRegisterEvery) {
      register_with(st.leader_id);
      last_registered_ = now;
    }
  }
  // Entries of nodes that left the configuration (everyone), or that the leader
  // has not heard from in a while (the leader, which then tells the others).
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
      auto g = replace_node(node, empty);
      gone.insert(gone.end(), g.begin(), g.end());
    }
  }
  if (st.leader_id == self_) {
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
  }
  schedule_tick();
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
