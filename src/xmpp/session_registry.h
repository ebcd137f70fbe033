#pragma once
// The routing registry of the XMPP service: who can be reached, and how.
//
// What it holds: bound client sessions by bare JID (this node's ClientStreams and,
// in a cluster, RemoteSessions for the sessions of the other nodes), this node's
// call-bridge components by domain, the domains of components connected to other
// nodes (with the member holding each), and the resumable XEP-0198 sessions by id.
// It holds them by shared_ptr: a session or component stays alive while the
// registry lists it, and leaves when it is unbound.
//
// The lock. One read/write lock, private to session_registry.cpp. Look-ups take it
// shared, changes take it exclusively. The delivering look-ups (with_sessions,
// send_to_component, deliver_to_session) call into the target while holding it
// shared, so a stanza costs one shared acquisition and copies no list: a target's
// deliver()/send() only appends to its output buffer (a short mutex of its own)
// and posts one flush to its thread, so it never blocks on the network and never
// calls back into the registry. A RemoteSession's deliver() takes the cluster
// router's pending-stanza lock: that lock always comes after this one.
//
// Observers (SessionObserver, e.g. the cluster router) hear about this node's own
// changes: a bind, a presence change, an unbind, a component up or down. They are
// called on the thread that made the change, after the registry lock is released
// (an observer may look the registry up), but under the registry's order lock,
// which every local change holds from the moment it changes the maps until its
// observers have returned. So observers see this node's changes one at a time, in
// the order they were made (the cluster router relies on this: a session's end
// must never reach the other nodes before its bind). Observers must not change the
// registry's local entries or its observers from a callback (the order lock is not
// recursive). Lock order: order lock → observer's locks → registry lock.
//
// Threads: every method may be called from any thread.
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <unordered_map>
#include <utility>
#include <vector>

#include "xmpp_core/jid.h"
#include "xmpp/session.h"

namespace convene::xmpp {

// A non-owning reference to a callable, for callbacks run during one call: unlike
// std::function it never allocates, so the message path stays allocation-free.
template <class Signature>
class FunctionRef;
template <class R, class... Args>
class FunctionRef<R(Args...)> {
 public:
  template <class F>
    requires(!std::is_same_v<std::remove_cvref_t<F>, FunctionRef> && std::is_invocable_r_v<R, F&, Args...>)
  FunctionRef(F&& f)  // NOLINT: implicit, like a function parameter
      : object_(const_cast<void*>(static_cast<const void*>(&f))),
        call_([](void* o, Args... args) -> R { return (*static_cast<std::remove_reference_t<F>*>(o))(std::forward<Args>(args)...); }) {}
  R operator()(Args... args) const { return call_(object_, std::forward<Args>(args)...); }

 private:
  void* object_;
  R (*call_)(void*, Args...);
};

// Told about this node's own sessions and components; see the contract above for
// the thread, the locks held and the ordering.
class SessionObserver {
 public:
  virtual ~SessionObserver() = default;
  // A local session was bound (possibly replacing one with the same full JID).
  virtual void on_bound(const Session& session) = 0;
  // The presence of a local session changed.
  virtual void on_presence_changed(const Session& session) = 0;
  // A local session left the registry.
  virtual void on_unbound(const Jid& jid) = 0;
  // A local component connected (possibly replacing an older connection) or left.
  virtual void on_component_up(const std::string& domain) = 0;
  virtual void on_component_down(const std::string& domain) = 0;
};

class SessionRegistry {
 public:
  SessionRegistry() = default;
  SessionRegistry(const SessionRegistry&) = delete;
  SessionRegistry& operator=(const SessionRegistry&) = delete;

  // ---- observers ----
  // After remove_observer returns, the observer is not being called and will not be.
  void add_observer(std::shared_ptr<SessionObserver> observer);
  void remove_observer(const SessionObserver* observer);

  // ---- this node's client sessions (called on the session's own thread) ----
  // Binds a local session under its full JID. The newest session for a full JID
  // wins (RFC 6120 §7.7.2.2): the local session it replaced is returned (to be
  // closed with <conflict/>), or null. Observers: on_bound.
  std::shared_ptr<Session> bind(std::shared_ptr<Session> session);
  // Observers: on_presence_changed (the registry itself keeps no presence).
  void presence_changed(const Session& session);
  // Removes the session and, when `resumable_id` still names it, its resumable
  // entry. Observers: on_unbound, only if the session was still bound (a session
  // replaced by a newer bind has already left).
  void unbind(const Session& session, const std::string& resumable_id);
  // XEP-0198: `session` may be resumed under `id`.
  void add_resumable(const std::string& id, std::shared_ptr<Session> session);
  // XEP-0198 resumption by `successor`: looks `id` up and, under the registry lock
  // held exclusively (so nothing is delivered to either meanwhile), calls
  // take_over(old); when it returns true, `successor` takes the old session's
  // place in both maps and the old session is returned. Null when there is no
  // such id or take_over declined. Observers: none (the full JID stays bound).
  std::shared_ptr<Session> resume(const std::string& id, const std::shared_ptr<Session>& successor,
                                  FunctionRef<bool(Session& old)> take_over);

  // ---- this node's components (called on the component's own thread) ----
  // The newest connection for a domain wins: the one replaced is returned (to be
  // closed with <conflict/>), or null. Observers: on_component_up.
  std::shared_ptr<ComponentLink> register_component(const std::string& domain,
                                                      std::shared_ptr<ComponentLink> component);
  // False when `component` is not (or no longer) the domain's connection.
  // Observers: on_component_down, only when it was.
  bool unregister_component(const std::string& domain, const ComponentLink& component);

  // ---- sessions and components of other nodes (the cluster router) ----
  // No observers are told: these are not this node's changes.
  void add_remote_session(std::shared_ptr<Session> session);
  void remove_remote_session(const Session& session);
  void set_remote_component(const std::string& domain, std::uint64_t node);
  // Removes `node`'s claim on `domain`, handing it to `successor` when not 0 (a
  // call bridge that moved is claimed by both nodes for a while).
  void drop_remote_component(const std::string& domain, std::uint64_t node, std::uint64_t successor);
  // Forgets every session and component of the other nodes.
  void clear_remote();
  // Forgets everything (the service stopped).
  void clear();

  // ---- delivering look-ups (the message path; see "The lock" above) ----
  // Calls fn with the sessions of a bare JID, local and remote, under the shared
  // lock; false (fn not called) when the JID has none.
  bool with_sessions(std::string_view bare, FunctionRef<void(std::span<const std::shared_ptr<Session>>)> fn) const;
  // Sends bytes to this node's component for `domain`; false when there is none.
  bool send_to_component(std::string_view domain, std::string_view bytes) const;
  // The same for a stanza another member forwarded (ComponentLink::send_forwarded);
  // nothing when this node has no component for `domain`.
  std::optional<ComponentLink::Forwarded> send_forwarded_to_component(std::string_view domain, std::string_view bytes,
                                                                      const ForwardedFrom& from) const;
  // Delivers bytes to this node's session bound to exactly `full`; false when none.
  bool deliver_to_session(const Jid& full, std::string_view bytes) const;

  // ---- look-ups returning copies ----
  // Sessions of a bare JID (a snapshot; empty when none).
  std::vector<std::shared_ptr<Session>> sessions_of(std::string_view bare) const;
  // The member holding a full JID's session or a component domain: 0 for this
  // node (also while another member's entry for that JID lingers); nullopt when
  // nobody does.
  std::optional<std::uint64_t> holder(const Jid& jid) const;
  // The member holding a component connected to another node.
  std::optional<std::uint64_t> remote_component(std::string_view domain) const;
  // This node's connection for a component domain, or null.
  std::shared_ptr<ComponentLink> local_component(std::string_view domain) const;

  // This node's own sessions and component domains, taken at one instant.
  struct LocalEntries {
    std::vector<std::shared_ptr<Session>> sessions;
    std::vector<std::string> components;
  };
  LocalEntries local_entries() const;

  // For status output.
  struct Counts {
    size_t local_sessions = 0, remote_sessions = 0;
    std::vector<std::string> components;         // "cb1.example.com from 127.0.0.1:4711"
    std::vector<std::string> remote_components;  // domains
  };
  Counts counts() const;

 private:
  // Heterogeneous look-up: a string_view finds its entry without a std::string.
  struct Hash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  template <class V>
  using Map = std::unordered_map<std::string, V, Hash, std::equal_to<>>;

  // Held while a local change is made and its observers are told (see above).
  mutable std::mutex order_mu_;
  std::vector<std::shared_ptr<SessionObserver>> observers_;  // under order_mu_

  mutable std::shared_mutex mu_;
  Map<std::vector<std::shared_ptr<Session>>> sessions_;    // bare JID →
  Map<std::shared_ptr<ComponentLink>> components_;       // domain → (this node's)
  Map<std::uint64_t> remote_components_;                   // domain → member id
  Map<std::shared_ptr<Session>> resumable_;                // XEP-0198 id →
};

}  // namespace convene::xmpp
