#include "xmpp/session_registry.h"

#include <algorithm>

namespace convene::xmpp {

// ---- observers --------------------------------------------------------------------

void SessionRegistry::add_observer(std::shared_ptr<SessionObserver> observer) {
  std::lock_guard order(order_mu_);
  observers_.push_back(std::move(observer));
}

void SessionRegistry::remove_observer(const SessionObserver* observer) {
  std::lock_guard order(order_mu_);
  std::erase_if(observers_, [&](auto& o) { return o.get() == observer; });
}

// ---- this node's client sessions ----------------------------------------------------

std::shared_ptr<Session> SessionRegistry::bind(std::shared_ptr<Session> session) {
  std::lock_guard order(order_mu_);
  std::shared_ptr<Session> replaced;
  {
    std::unique_lock lock(mu_);
    auto& list = sessions_[std::string(session->jid().bare_view())];
    for (auto it = list.begin(); it != list.end(); ++it) {
      if ((*it)->node() == 0 && (*it)->jid() == session->jid()) {
        replaced = std::move(*it);
        list.erase(it);
        break;
      }
    }
    list.push_back(session);
  }
  for (auto& o : observers_) o->on_bound(*session);
  return replaced;
}

void SessionRegistry::presence_changed(const Session& session) {
  std::lock_guard order(order_mu_);
  for (auto& o : observers_) o->on_presence_changed(session);
}

void SessionRegistry::unbind(const Session& session, const std::string& resumable_id) {
  std::lock_guard order(order_mu_);
  bool was_bound = false;
  {
    std::unique_lock lock(mu_);
    auto it = sessions_.find(session.jid().bare_view());
    if (it != sessions_.end()) {
      was_bound = std::erase_if(it->second, [&](auto& s) { return s.get() == &session; }) > 0;
      if (it->second.empty()) sessions_.erase(it);
    }
    if (!resumable_id.empty()) {
      auto r = resumable_.find(resumable_id);
      if (r != resumable_.end() && r->second.get() == &session) resumable_.erase(r);
    }
  }
  if (was_bound)
    for (auto& o : observers_) o->on_unbound(session.jid());
}

void SessionRegistry::add_resumable(const std::string& id, std::shared_ptr<Session> session) {
  std::unique_lock lock(mu_);
  resumable_[id] = std::move(session);
}

std::shared_ptr<Session> SessionRegistry::resume(const std::string& id, const std::shared_ptr<Session>& successor,
                                                 FunctionRef<bool(Session& old)> take_over) {
  std::unique_lock lock(mu_);
  auto it = resumable_.find(id);
  if (it == resumable_.end() || !take_over(*it->second)) return nullptr;
  auto old = std::exchange(it->second, successor);
  auto list = sessions_.find(successor->jid().bare_view());
  if (list != sessions_.end())
    for (auto& s : list->second)
      if (s == old) s = successor;
  return old;
}

// ---- this node's components -----------------------------------------------------------

std::shared_ptr<ComponentLink> SessionRegistry::register_component(const std::string& domain,
                                                                     std::shared_ptr<ComponentLink> component) {
  std::lock_guard order(order_mu_);
  std::shared_ptr<ComponentLink> older;
  {
    std::unique_lock lock(mu_);
    older = std::exchange(components_[domain], std::move(component));
  }
  for (auto& o : observers_) o->on_component_up(domain);
  return older;
}

bool SessionRegistry::unregister_component(const std::string& domain, const ComponentLink& component) {
  std::lock_guard order(order_mu_);
  {
    std::unique_lock lock(mu_);
    auto it = components_.find(domain);
    if (it == components_.end() || it->second.get() != &component) return false;
    components_.erase(it);
  }
  for (auto& o : observers_) o->on_component_down(domain);
  return true;
}

// ---- sessions and components of other nodes ----------------------------------------------

void SessionRegistry::add_remote_session(std::shared_ptr<Session> session) {
  std::unique_lock lock(mu_);
  sessions_[std::string(session->jid().bare_view())].push_back(std::move(session));
}

void SessionRegistry::remove_remote_session(const Session& session) {
  std::unique_lock lock(mu_);
  auto list = sessions_.find(session.jid().bare_view());
  if (list == sessions_.end()) return;
  std::erase_if(list->second, [&](auto& x) { return x.get() == &session; });
  if (list->second.empty()) sessions_.erase(list);
}

void SessionRegistry::set_remote_component(const std::string& domain, std::uint64_t node) {
  std::unique_lock lock(mu_);
  remote_components_[domain] = node;
}

void SessionRegistry::drop_remote_component(const std::string& domain, std::uint64_t node, std::uint64_t successor) {
  std::unique_lock lock(mu_);
  auto it = remote_components_.find(domain);
  if (it == remote_components_.end() || it->second != node) return;
  if (successor) it->second = successor;
  else remote_components_.erase(it);
}

std::shared_ptr<ComponentLink> SessionRegistry::local_component(std::string_view domain) const {
  std::shared_lock lock(mu_);
  auto it = components_.find(domain);
  return it == components_.end() ? nullptr : it->second;
}

void SessionRegistry::clear_remote() {
  std::unique_lock lock(mu_);
  remote_components_.clear();
  for (auto it = sessions_.begin(); it != sessions_.end();) {
    std::erase_if(it->second, [](auto& s) { return s->node() != 0; });
    it = it->second.empty() ? sessions_.erase(it) : std::next(it);
  }
}

void SessionRegistry::clear() {
  std::unique_lock lock(mu_);
  sessions_.clear();
  components_.clear();
  remote_components_.clear();
  resumable_.clear();
}

// ---- look-ups ---------------------------------------------------------------------------

bool SessionRegistry::with_sessions(std::string_view bare,
                                    FunctionRef<void(std::span<const std::shared_ptr<Session>>)> fn) const {
  std::shared_lock lock(mu_);
  auto it = sessions_.find(bare);
  if (it == sessions_.end()) return false;
  fn(it->second);
  return true;
}

bool SessionRegistry::send_to_component(std::string_view domain, std::string_view bytes) const {
  std::shared_lock lock(mu_);
  auto it = components_.find(domain);
  if (it == components_.end()) return false;
  it->second->send(bytes);
  return true;
}

std::optional<ComponentLink::Forwarded> SessionRegistry::send_forwarded_to_component(std::string_view domain,
                                                                                     std::string_view bytes,
                                                                                     const ForwardedFrom& from) const {
  std::shared_lock lock(mu_);
  auto it = components_.find(domain);
  if (it == components_.end()) return std::nullopt;
  return it->second->send_forwarded(bytes, from);
}

bool SessionRegistry::deliver_to_session(const Jid& full, std::string_view bytes) const {
  std::shared_lock lock(mu_);
  auto it = sessions_.find(full.bare_view());
  if (it == sessions_.end()) return false;
  for (auto& s : it->second)
    if (s->node() == 0 && s->jid() == full) {
      s->deliver(bytes);
      return true;
    }
  return false;
}

std::vector<std::shared_ptr<Session>> SessionRegistry::sessions_of(std::string_view bare) const {
  std::shared_lock lock(mu_);
  auto it = sessions_.find(bare);
  if (it == sessions_.end()) return {};
  return it->second;
}

std::optional<std::uint64_t> SessionRegistry::holder(const Jid& jid) const {
  std::shared_lock lock(mu_);
  if (!jid.has_local()) {
    if (components_.contains(jid.full())) return 0;
    auto it = remote_components_.find(jid.full());
    if (it == remote_components_.end()) return std::nullopt;
    return it->second;
  }
  auto it = sessions_.find(jid.bare_view());
  if (it == sessions_.end()) return std::nullopt;
  // A full JID that moved here can still have its other node's entry beside the
  // local session for a moment (a local bind does not replace a remote one): this
  // node holds it, and a stanza forwarded for it is taken on now, not left for the
  // origin to resend.
  std::optional<std::uint64_t> found;
  for (auto& s : it->second)
    if (s->jid() == jid) {
      if (s->node() == 0) return 0;
      if (!found) found = s->node();
    }
  return found;
}

std::optional<std::uint64_t> SessionRegistry::remote_component(std::string_view domain) const {
  std::shared_lock lock(mu_);
  auto it = remote_components_.find(domain);
  if (it == remote_components_.end()) return std::nullopt;
  return it->second;
}

SessionRegistry::LocalEntries SessionRegistry::local_entries() const {
  LocalEntries e;
  std::shared_lock lock(mu_);
  for (auto& [bare, list] : sessions_)
    for (auto& s : list)
      if (s->node() == 0) e.sessions.push_back(s);
  for (auto& [domain, c] : components_) e.components.push_back(domain);
  return e;
}

SessionRegistry::Counts SessionRegistry::counts() const {
  Counts c;
  std::shared_lock lock(mu_);
  for (auto& [bare, list] : sessions_)
    for (auto& s : list) (s->node() == 0 ? c.local_sessions : c.remote_sessions) += 1;
  for (auto& [domain, component] : components_) c.components.push_back(domain + " from " + component->peer());
  for (auto& [domain, node] : remote_components_) c.remote_components.push_back(domain);
  return c;
}

}  // namespace convene::xmpp
