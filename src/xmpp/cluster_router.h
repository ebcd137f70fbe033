#pragma once
// Routing across the nodes of an XMPP cluster: any node
// accepts stanzas; the leader holds the cluster's session registry and every
// node a copy of it; a stanza for a session held elsewhere goes straight to the
// node holding the session, or through the leader while this node's copy is
// unsure (below), and the holding node delivers it.
//
// Session registry (cluster_router_registry.cpp). The router observes this
// node's SessionRegistry (session_registry.h): every node tells the leader about
// its own sessions (bind, presence change, end) and call-bridge components
// (connect, disconnect); the leader keeps them per node and passes every change on
// to the other members, so each node has a copy and routes with the usual code
// (router.cpp, presence.cpp): sessions of other nodes sit in the SessionRegistry
// as RemoteSessions, components as remote components. When the leader
// changes, every node sends the new leader its whole list (node_sessions) and
// gets back the lists of the nodes that registered since (register_node); every
// node also registers again every kRegisterEvery, which mends a change sent to a
// leader that was being replaced. Copies of other nodes' lists are only passed
// on when fresh: the registry is rebuilt by re-registration, never trusted from
// a dead leader or an old copy. The
// leader drops the entries of a member it has not heard from for kSilentAfter
// (or that left the configuration), tells the others, and sends unavailable
// presence for those users to their contacts. A call bridge that moved is
// claimed by two nodes until the dead one's entries go; the remaining claim wins.
//
// Forwarded stanzas (cluster_router_relay.cpp). RemoteSession::deliver() gives the stanza a sequence
// number and sends it on its hop (below): straight to the holding node
// (deliver), or to the leader (relay), which sends it to the holding node
// (deliver); the holding node delivers it locally and confirms to the origin:
// the stanzas of one read from a link in one message (delivered_many, sent once
// the read's messages are all handled), or one by one (delivered) to an origin
// that did not say it reads delivered_many (an older node).
// The origin keeps every unconfirmed stanza and sends it again after a leader
// change, a change of hop or kResendAfter; the holding node drops repeats by (origin,
// incarnation, seq). So a stanza this node acknowledged to its client (XEP-0198)
// survives the loss of the leader: at-least-once between nodes, exactly-once to
// the client while both the origin and the holding node live.
// Nothing unconfirmed is dropped silently: a stanza unconfirmed for kGiveUpAfter,
// or past the bounds of what may wait unconfirmed (kMaxUnconfirmed, bytes), is
// bounced to its sender (undeliverable.h).
//
// Direct or through the leader (cluster_router_path.h decides). The copy is
// "sure" for a stanza to a session of member T when all of these hold, as of
// this node's last tick (the consensus view is not copied per stanza):
// - a leader is known and this node has had its whole registry since it became
//   this node's leader (else: a leader change in progress, the stanza is held,
//   not sent, until the new leader's registry arrives — one round trip; going
//   through a new leader that T does not know yet would get it refused);
// - bytes came from the leader within kSilentAfter (else this copy may be
//   missing changes: through the leader);
// - T is in the configuration, has no absent sessions (its sessions were dropped
//   as silent) and no stanza sent straight to it went unconfirmed for
//   kResendAfter within the last kStalledFor (else through the leader, which hears
//   every member and holds the registry).
// The leader itself, or a stanza for a session of the leader, takes one hop anyway.
//
// Order per sender across a change of hop. Every message link is FIFO and the
// leader passes relays on in the order they arrive, so stanzas of one origin to
// one holding node T arrive in order on either hop. The origin keeps, per T,
// the hop of T's unconfirmed stanzas (a stream); a new stanza to T whose hop
// differs first sends every unconfirmed stanza to T again, in sequence order, on
// the new hop, all under pending_mu_ (which every send of a stanza holds). So
// when T gets stanza n+1 on the new hop, every earlier stanza j was either
// confirmed — delivered by T before the switch, hence before n+1 — or sent
// again on the new hop ahead of n+1, and delivered from that copy first (a late
// copy from the old hop is a repeat, dropped). Holding (no leader, or the new
// leader's registry not yet here) is a hop like the others: leaving it sends
// everything held, in order, before anything new.
// What this does not order (as before this scheme): a stanza lost on a link that
// broke (peer_links.h is best effort) and resent after later ones got through;
// stanzas to a session that moved to another node while some were unconfirmed;
// a relay refused by a holding node that does not yet see the new leader. Each
// is delivered once, maybe late.
// Registry before stanza: through the leader, a session's registration reaches
// the holding node before that session's first stanza (the same two FIFO links);
// straight, the stanza could arrive first, and an answer to that full JID find no
// session there. So a stanza from a session of this node that registered less
// than kFreshFor ago carries the session's entry when it goes straight (deliver,
// `sessions`), and the holding node puts it in its copy if it places that full
// JID nowhere (a member speaks for its own sessions). Left: a holding node that
// still places that full JID on another node refuses the stanza (resent later);
// a stanza that its session's end overtook (through the leader: unlikely) puts
// back an entry that the origin's next whole list removes (kRegisterEvery).
// Compatibility: a mixed cluster does not lose stanzas (an older node accepts a
// delivery from its origin, and relays through the leader as before; it ignores
// the kReadsDeliveredMany mark, and is confirmed with delivered), but
// rolling upgrades are not a goal of this scheme.
//
// Absent sessions (absent_sessions.h). When the leader drops the sessions of a
// silent member, they may still be alive there (a partition, a stopped process)
// or come back elsewhere (resumed or bound again). For kAwaitReturn after that, a
// stanza for such a user that finds no other session is relayed to the absent
// session as if it were there (router.cpp asks absent_session; presence and errors
// only when addressed to its full JID: a space's word that it removed the
// occupant, an error for what it sent meanwhile), and unconfirmed
// stanzas for it stay unconfirmed instead of being routed afresh (which meant
// offline storage for a user still online): they reach the session when it is
// registered again, wherever, and are bounced when they waited kGiveUpAfter or
// the wait ends first. Once the wait is over, until the absence is forgotten
// (kForgetAfter), a new stanza for it is bounced with recipient-unavailable, not
// stored offline. A member's own list ends its absences (what it lacks ended).
//
// Stanzas for a call bridge. XEP-0114 has no acknowledgements, and the node that
// holds a bridge routes again what the bridge had not answered when its
// connection ended (unanswered_stanzas.h) — but not a stanza another member
// forwarded: its `from` is that member's user, and the next holder's node would
// refuse it from this one (a member speaks only for its own users). So the holding
// node confirms such a stanza (one with an id) only once the bridge has answered
// it, and when the connection ends first it forgets having seen it: the origin,
// which still has it unconfirmed, sends it again after kResendAfter to wherever
// the name is then (or waits for a holder, component_wait.h). While the bridge is
// slow to answer, the origin's resends to the same node are repeats, dropped
// unconfirmed.
//
// Store before stanza. A node that wrote the replicated store (a roster change
// for a subscription) and then forwards the stanza that follows from it may be
// faster than raft's commit reaching the holding node; that node's client would
// answer from a stale roster. So a forwarded subscription presence or roster
// push is held until this node's copy has caught up (ClusterBus::sync), and
// stanzas arriving meanwhile queue behind it, keeping their order.
//
// Ordering of this node's own changes. The SessionObserver hooks run on the
// thread that made the change, under the SessionRegistry's order lock, so they
// arrive here in the order the changes were made; each is sent while local_mu_ is
// held, and so is every whole list (taken from the registry under local_mu_): a
// change and a list leave in the order they were made.
//
// Who may say what (cluster_router_sender.h): a member speaks only for its own
// sessions and call bridges, the leader passes them on; a delivered stanza whose
// `from` the registry places on another node is refused (logged, not confirmed),
// unless that is a call bridge the origin held within kGiveUpAfter
// (may_speak_for_bridge: what the bridge sent before its name moved).
//
// Threads: the observer hooks and relay/to_remote_component from any thread
// (connection threads); messages arrive on the cluster's network thread; tick()
// runs on one of the service's io_contexts. Lock order: the SessionRegistry's
// order lock → local_mu_ → the SessionRegistry's lock; registry_mu_ → the
// SessionRegistry's lock; the SessionRegistry's lock → pending_mu_ (relay runs
// under its shared lock): never call into the SessionRegistry while holding
// pending_mu_.
#include <asio/io_context.hpp>
#include <asio/steady_timer.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>

#include "cluster/admission.h"
#include "xmpp/absent_sessions.h"
#include "xmpp/cluster_bus.h"
#include "xmpp/cluster_router_path.h"
#include "xmpp/cluster_wire.h"
#include "xmpp/session.h"
#include "xmpp/session_registry.h"

namespace convene::xmpp {

class Server;
class RemoteSession;

class ClusterRouter : public std::enable_shared_from_this<ClusterRouter>, public SessionObserver {
 public:
  static constexpr auto kTick = std::chrono::milliseconds(50);
  static constexpr auto kResendAfter = std::chrono::milliseconds(1000);
  // An unconfirmed stanza is bounced after this: much longer than a leader
  // election, and than a short partition plus the time a healed member takes to
  // find the leader again (up to ~10 s), so it only fires when no leader or no
  // answer came at all (e.g. this node is cut off from the others for long).
  static constexpr auto kGiveUpAfter = std::chrono::seconds(30);
  // A stanza kept for an absent session is bounced by its own give-up time before
  // the absence can be forgotten: once forgotten it would be routed afresh (to
  // offline storage, for a user who may be online on the silent member).
  static_assert(AbsentSessions::kAwaitReturn + kGiveUpAfter <= AbsentSessions::kForgetAfter);
  // What may wait unconfirmed (a member cut off while its users get messages):
  // beyond it, new stanzas are bounced at the next tick rather than kept.
  static constexpr size_t kMaxUnconfirmed = 20000;
  static constexpr size_t kMaxUnconfirmedBytes = 32 * 1024 * 1024;
  static constexpr auto kSilentAfter = std::chrono::milliseconds(2000);
  // A member's call bridges go sooner than its sessions: a bridge has standbys on
  // the other nodes, which take its name over once it is free, and the spaces it
  // serves stop until then. A live member judged silent only loses the name to a
  // standby for a moment (it is asked to register again when heard, and the
  // standby yields to its claim); a session judged gone would be announced
  // unavailable to its contacts. 20 heartbeats, 3 election time-outs.
  static constexpr auto kBridgeSilentAfter = std::chrono::milliseconds(1000);
  static constexpr auto kRegisterEvery = std::chrono::seconds(5);
  // A holding node that left a stanza sent straight to it unconfirmed for
  // kResendAfter gets its stanzas through the leader for this long (a link that
  // does not carry, a node that is slow): tried straight again afterwards.
  static constexpr auto kStalledFor = std::chrono::seconds(5);
  // How long after a session of this node registered its stanzas carry its entry
  // ("Registry before stanza"): far longer than the leader takes to pass it on.
  static constexpr auto kFreshFor = std::chrono::seconds(2);
  static constexpr auto kLeadershipLag = std::chrono::seconds(1);  // raft view to this router's tick, bounded

  ClusterRouter(Server& server, std::shared_ptr<ClusterBus> bus);
  ~ClusterRouter();
  // Starts receiving and the periodic tick on `io`.
  void start(asio::io_context& io);
  // Stops receiving and ticking; removes every other node's sessions and
  // components from the SessionRegistry. Blocks until no message handler runs.
  // Remove the router from the registry's observers first.
  void stop();

  // ---- this node's own sessions and components (SessionObserver; any thread) ----
  void on_bound(const Session& session) override;
  void on_presence_changed(const Session& session) override;
  void on_unbound(const Jid& jid) override;
  void on_component_up(const std::string& domain) override;
  void on_component_down(const std::string& domain) override;

  // ---- stanzas for other nodes (any thread) ----
  void relay(std::uint64_t node, const std::string& jid, std::string_view bytes);
  // True when `domain` is a component connected to another node (the stanza goes there).
  bool to_remote_component(std::string_view domain, std::string_view bytes);

  // Whether this node's copy of the other nodes' sessions is current: it has had its
  // leader's whole registry since that leader was last seen (or has led long enough
  // for every member to have registered). Not yet after a restart: a session this
  // copy lacks may well exist (component_occupants.h asks again later).
  bool registry_current() const;
  // Whether a stanza forwarded for `target` (a full JID) is taken on here
  // (takes_on_forwarded, cluster_router_sender.h).
  bool takes_on(const std::optional<Jid>& target) const;
  // ---- stanzas other members forwarded to this node's call bridges (any thread) ----
  // The bridge answered these (or stanzas sent after them): confirmed to their origins.
  void bridge_answered(const std::vector<ForwardedFrom>& stanzas);
  // Not answered and no longer kept (the bridge's connection ended, or the bounds):
  // their origins send them again after kResendAfter, as for any unconfirmed
  // stanza. `redeliver`: the bridge never had them for sure, so a copy that comes
  // again is delivered, not dropped as a repeat.
  void bridge_released(const std::vector<ForwardedFrom>& stanzas, bool redeliver);

  // Whether member `node` is in doubt: the leader freed its call bridges because it
  // was silent (kBridgeSilentAfter), and neither has it been heard again nor have
  // its sessions been dropped yet. Its sessions may be gone: a bridge taking over
  // keeps their occupants and asks again (component_occupants.h).
  bool member_in_doubt(std::uint64_t node) const;

  // For a stanza to `to` that finds no session: an absent session of another node
  // (see "Absent sessions"): awaited, to relay() it to; or with its wait over, to
  // bounce it rather than store it offline. `any_resource`: a session of the bare
  // JID will do (messages), else only `to` itself.
  std::optional<AbsentSessions::Found> absent_session(const Jid& to, bool any_resource);

  struct Counters {
    size_t remote_sessions = 0, remote_components = 0, unconfirmed = 0;
    std::uint64_t forwarded = 0, delivered_here = 0, resent = 0, duplicates = 0, bounced = 0;
    std::uint64_t straight = 0;   // forwarded stanzas first sent straight to the holding node (the leader's: all)
    std::uint64_t passed_on = 0;  // stanzas this node, as leader, passed on for other nodes
  };
  Counters counters() const;

 private:
  struct Pending {
    std::uint64_t target_node;
    std::string jid;
    std::string stanza;
    std::chrono::steady_clock::time_point first_sent, last_sent;
    std::vector<SessionEntry> sender = {};  // its sender's entry, when it registered lately
  };
  struct NodeEntries {
    std::map<std::string, std::shared_ptr<RemoteSession>> sessions;  // full JID →
    std::set<std::string> components;
  };

  void session_up(const Session& session);
  void component_changed(const std::string& domain, bool connected);
  void on_message(std::uint64_t from, std::string bytes);
  void schedule_tick();
  void tick();
  // The registry (registry_mu_).
  void apply_registry(const RouterMessage& m, std::uint64_t from);
  void put_session(std::uint64_t node, const SessionEntry& e);
  void drop_session(std::uint64_t node, const std::string& jid);
  void put_component(std::uint64_t node, const std::string& domain);
  void drop_component(std::uint64_t node, const std::string& domain);
  // Returns the dropped sessions. `reported`: the list is the member's own (or it
  // is back): sessions it lacks ended; else they are absent (absent_sessions.h).
  std::vector<SessionEntry> replace_node(std::uint64_t node, const RouterMessage& m, bool reported);
  RouterMessage own_sessions() const;
  RouterMessage node_sessions(std::uint64_t node);
  // Sending.
  std::uint64_t self() const { return self_; }
  void to_leader_or_all(const RouterMessage& m);  // a change of this node's registry entries
  void to_others(const RouterMessage& m, std::uint64_t except);
  void register_with(std::uint64_t leader);  // this node's whole list, answered with the registry
  void send_registry(std::uint64_t to);  // this node's sessions and its copy of every other node's
  // The hop for a stanza to member `target` now (pending_mu_ held).
  Hop hop_for(std::uint64_t target, std::chrono::steady_clock::time_point now) const;
  // Makes `hop` the hop of `target`'s stream: its unconfirmed stanzas go again on
  // it, in order, when it changed (pending_mu_ held). See "Order per sender".
  void use_hop(std::uint64_t target, Hop hop, std::chrono::steady_clock::time_point now);
  void send_on(std::uint64_t seq, const Pending& p, Hop hop);  // pending_mu_ held
  void stream_done(std::uint64_t target);                       // one of its stanzas left pending_ (pending_mu_)
  void refresh_route_view(const cluster::ConsensusStatus& st);
  void deliver_here(const RouterMessage& m);
  // Confirms `m` to its origin: at once, or with the others of this read (delivered_many).
  void confirm(const RouterMessage& m);
  void send_confirmations();
  // The sender's entry a stanza sent straight by its origin carries (network thread).
  void learn_sender(const RouterMessage& m);
  // Why the stanza of `m` may not be delivered (its `from` is not its origin's), or nothing.
  std::optional<std::string> foreign_sender(const RouterMessage& m) const;
  // A held stanza (confirmed already), once the store has synced: to its session, or routed again.
  void deliver_now(const RouterMessage& m);
  // A stanza another member forwarded to a call bridge of this node ("Stanzas for a
  // call bridge"); not confirmed (nor kept as seen) unless `confirmed`.
  ComponentLink::Forwarded deliver_to_bridge(const RouterMessage& m);
  void confirm_one(const ForwardedFrom& stanza);  // `delivered`, alone
  bool deliver_local(const std::string& jid, const std::string& stanza);
  bool deliver_local(const Jid& target, const std::string& stanza);  // already parsed
  struct Location {
    enum Kind { here, elsewhere, unknown, gone } kind;
    std::uint64_t member;  // elsewhere: the member holding it
  };
  Location locate(const std::string& jid);
  void resend(bool all, std::chrono::steady_clock::time_point now);
  // Bounces what relay() could not keep (tick; no lock held).
  void bounce_overflow();
  void begin_sync();
  void end_sync(std::uint64_t generation);
  void announce_gone(const std::vector<SessionEntry>& sessions);
  // The leader's part of kBridgeSilentAfter: drops the call bridges of members
  // silent that long, everywhere, and asks those heard again to register again.
  void drop_silent_bridges(const cluster::ConsensusStatus& st);

  Server& server_;
  std::shared_ptr<ClusterBus> bus_;
  const std::uint64_t self_;
  const std::uint64_t incarnation_;
  std::unique_ptr<asio::steady_timer> timer_;
  bool stopped_ = false;  // timer thread

  // Held while a change of this node's own sessions, or a whole list of them, is
  // made and sent: a list taken just before a session ended must not leave after
  // the session's end was sent, or it brings the session back elsewhere.
  std::mutex local_mu_;
  mutable std::mutex registry_mu_;
  std::map<std::uint64_t, NodeEntries> registry_;  // other nodes' entries
  std::map<std::uint64_t, std::chrono::steady_clock::time_point> registered_at_;  // last register_node from each
  std::optional<std::chrono::steady_clock::time_point> leading_since_;          // set while this node leads
  std::set<std::uint64_t> silenced_;  // members whose entries this leader had dropped everywhere
  std::set<std::uint64_t> bridges_silenced_;  // silent members whose call bridges this leader dropped everywhere
  std::set<std::uint64_t> in_doubt_;          // member_in_doubt (every node)
  // Call bridge domain → member → when it last stopped holding it (may_speak_for_bridge).
  std::map<std::string, std::map<std::uint64_t, std::chrono::steady_clock::time_point>, std::less<>> former_holders_;
  std::uint64_t last_leader_ = 0;                  // tick thread
  std::atomic<std::uint64_t> synced_with_{0};      // the leader whose own list arrived last
  cluster::RefusalLog refusals_;                   // refused messages, logged at most once per 10 s per member and kind
  std::chrono::steady_clock::time_point last_registered_{};  // tick thread

  mutable std::mutex pending_mu_;
  std::map<std::uint64_t, Pending> pending_;  // seq → unconfirmed stanza
  size_t pending_bytes_ = 0;
  std::vector<std::string> overflow_;  // past kMaxUnconfirmed*: bounced at the next tick
  std::uint64_t next_seq_ = 1;
  // What choose_path() needs from the consensus view, as of the last tick.
  struct RouteView {
    std::uint64_t leader = 0;
    bool registry_current = false, leader_heard = false;
    std::set<std::uint64_t> members, absent;  // absent: members whose sessions are absent
  };
  RouteView route_view_;
  struct Stream {
    Hop hop;                  // where its unconfirmed stanzas went
    size_t unconfirmed = 0;   // erased at 0
  };
  std::map<std::uint64_t, Stream> streams_;  // holding node → its unconfirmed stanzas' hop
  std::map<std::uint64_t, std::chrono::steady_clock::time_point> stalled_until_;  // holding node →
  struct Fresh {
    SessionEntry entry;
    std::chrono::steady_clock::time_point at;
  };
  std::map<std::string, Fresh, std::less<>> fresh_;  // this node's sessions registered lately (full JID →)
  std::map<std::pair<std::uint64_t, std::uint64_t>, std::set<std::uint64_t>> seen_;  // (origin, incarnation) →
  std::set<ForwardedFrom> awaiting_answer_;  // sent to a call bridge here, confirmed when it answers
  Counters counters_;

  // Confirmations not sent yet: (origin, incarnation) → seqs (confirm_mu_, a leaf).
  static constexpr size_t kMaxConfirmationsPerMessage = 1024;
  std::mutex confirm_mu_;
  std::map<std::pair<std::uint64_t, std::uint64_t>, std::vector<std::uint64_t>> confirmations_;
  size_t unsent_confirmations_ = 0;

  std::mutex absent_mu_;  // a leaf: nothing is called while it is held
  AbsentSessions absent_;

  struct Held {
    RouterMessage message;
    std::uint64_t generation;
  };
  std::mutex held_mu_;
  std::deque<Held> held_;  // waiting for a sync, in arrival order
  bool syncing_ = false;
  std::uint64_t generation_ = 0;
};

}  // namespace convene::xmpp
