// The cluster router's copy of the cluster's sessions and call bridges, per node
// (cluster_router.h, "Session registry"): applying other nodes' changes and
// whole lists to this node's SessionRegistry, registering with the leader, and
// the lists the leader passes on.
#include <set>

#include "xmpp/cluster_router.h"
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

RouterMessage ClusterRouter::own_sessions() const {
  RouterMessage m;
  m.type = RouterMessageType::node_sessions;
  m.node = self_;
  auto local = server_.registry.local_entries();
  m.components = std::move(local.components);
  for (auto& s : local.sessions) m.sessions.push_back({s->jid().full(), s->available(), s->priority(), s->presence()});
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
  {
    std::lock_guard lock(absent_mu_);
    absent_.back(e.jid);
  }
  auto& entries = registry_[node];
  auto it = entries.sessions.find(e.jid);
  if (it != entries.sessions.end()) return it->second->update(e);
  auto jid = Jid::parse(e.jid);
  if (!jid || !jid->has_resource()) return;
  auto s = std::make_shared<RemoteSession>(weak_from_this(), node, *jid);
  s->update(e);
  entries.sessions.emplace(e.jid, s);
  server_.registry.add_remote_session(std::move(s));
}

void ClusterRouter::drop_session(std::uint64_t node, const std::string& jid) {
  auto& entries = registry_[node];
  auto it = entries.sessions.find(jid);
  if (it == entries.sessions.end()) return;
  auto s = it->second;
  entries.sessions.erase(it);
  server_.registry.remove_remote_session(*s);
}

void ClusterRouter::put_component(std::uint64_t node, const std::string& domain) {
  registry_[node].components.insert(domain);
  server_.registry.set_remote_component(domain, node);
  // A standby here yields to any claim from elsewhere (component.h): the bridge's
  // own instance came back, or another node's standby was let in at the same time.
  // Its disconnection is then this node's component_down like any other.
  if (auto local = server_.registry.local_component(domain); local && local->standby()) {
    server_.log->info("cluster: member {:x} claims {}: this node's standby yields", node, domain);
    local->replaced();
  }
}

void ClusterRouter::drop_component(std::uint64_t node, const std::string& domain) {
  if (registry_[node].components.erase(domain)) {
    auto& former = former_holders_[domain];
    const auto now = Clock::now();
    std::erase_if(former, [&](const auto& entry) { return now - entry.second > kGiveUpAfter; });
    former[node] = now;
  }
  // A call bridge that moved is claimed by its new node too until the old claim
  // goes (the old node died without saying so): the remaining claim wins.
  std::uint64_t other = 0;
  for (auto& [n, entries] : registry_)
    if (n != node && entries.components.count(domain)) other = n;
  server_.registry.drop_remote_component(domain, node, other);
}

std::vector<SessionEntry> ClusterRouter::replace_node(std::uint64_t node, const RouterMessage& m, bool reported) {
  in_doubt_.erase(node);  // its own list (heard again), or the leader's word on its sessions
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
  {
    std::lock_guard lock(absent_mu_);
    if (reported) absent_.member_reported(node);
    const auto now = Clock::now();
    if (!reported)
      for (auto& jid : drop) absent_.dropped(jid, node, now);
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

bool ClusterRouter::member_in_doubt(std::uint64_t node) const {
  std::lock_guard lock(registry_mu_);
  return in_doubt_.count(node) != 0;
}

void ClusterRouter::apply_registry(const RouterMessage& m, std::uint64_t from) {
  if (m.node == self_ || m.node == 0) return;
  if (m.node == from) in_doubt_.erase(m.node);  // heard again
  switch (m.type) {
    case RouterMessageType::session_up:
      if (!m.sessions.empty()) put_session(m.node, m.sessions[0]);
      return;
    case RouterMessageType::session_down: return drop_session(m.node, m.jid);
    case RouterMessageType::component_up: return put_component(m.node, m.jid);
    case RouterMessageType::component_down: return drop_component(m.node, m.jid);
    case RouterMessageType::bridge_freed:
      in_doubt_.insert(m.node);
      return drop_component(m.node, m.jid);
    case RouterMessageType::node_sessions: replace_node(m.node, m, !m.sessions.empty()); return;
    default: return;
  }
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

void ClusterRouter::drop_silent_bridges(const cluster::ConsensusStatus& st) {
  std::vector<RouterMessage> drops;
  std::vector<std::uint64_t> heard_again;
  {
    std::lock_guard lock(registry_mu_);
    for (auto& m : st.members) {
      if (m.id == self_) continue;
      const bool silent = m.last_contact_age && *m.last_contact_age > kBridgeSilentAfter;
      if (!silent) {
        if (bridges_silenced_.erase(m.id)) heard_again.push_back(m.id);
        continue;
      }
      auto entries = registry_.find(m.id);
      if (bridges_silenced_.count(m.id) || entries == registry_.end() || entries->second.components.empty()) continue;
      bridges_silenced_.insert(m.id);
      in_doubt_.insert(m.id);
      auto domains = entries->second.components;  // drop_component changes the set
      for (auto& domain : domains) {
        server_.log->info("cluster: member {:x} silent for {} ms: its call bridge {} is free for a standby", m.id,
                          m.last_contact_age->count(), domain);
        drop_component(m.id, domain);
        RouterMessage down;
        down.type = RouterMessageType::bridge_freed;
        down.node = m.id;
        down.jid = domain;
        drops.push_back(std::move(down));
      }
    }
  }
  // Everyone, the silent member too: if it hears this, it was not dead and
  // registers again (on_message).
  for (auto& m : drops) to_others(m, 0);
  for (auto node : heard_again) {
    RouterMessage ask;  // an empty list about itself: "register again" (on_message)
    ask.type = RouterMessageType::node_sessions;
    ask.node = node;
    bus_->send(node, encode(ask));
  }
}

void ClusterRouter::announce_gone(const std::vector<SessionEntry>& sessions) {
  if (!sessions.empty()) server_.log->info("cluster: {} session(s) of a gone member announced unavailable", sessions.size());
  for (auto& e : sessions)
    if (auto jid = Jid::parse(e.jid)) announce_unavailable(server_, *jid);
}

}  // namespace convene::xmpp
