// The cluster router's forwarded stanzas (cluster_router.h, "Forwarded stanzas"
// and "Store before stanza"): relaying to the holding node, delivering here,
// confirming, resending, and holding stanzas until the store caught up.
#include <algorithm>
#include <optional>

#include "cluster/peer_links.h"
#include "xml/stream_parser.h"
#include "xmpp/cluster_router.h"
#include "xmpp/cluster_router_sender.h"
#include "xmpp/server.h"
#include "xmpp/undeliverable.h"

namespace convene::xmpp {

using Clock = std::chrono::steady_clock;

namespace {

// Subscription presence and roster pushes: what a client answers from its roster.
// A false positive (the word in an attribute value) only costs a sync.
bool needs_store_sync(std::string_view stanza) {
  std::string_view head = stanza.substr(0, stanza.find('>'));
  if (head.starts_with("<presence")) return head.find("subscribe") != std::string_view::npos;
  if (head.starts_with("<iq")) return stanza.find(kRosterNs) != std::string_view::npos;
  return false;
}

}  // namespace

std::optional<std::string> ClusterRouter::foreign_sender(const RouterMessage& m) const {
  auto from = stanza_from(m.stanza);
  if (!from) return "its from attribute cannot be read";
  if (from->empty()) return std::nullopt;
  auto jid = Jid::parse(*from);
  if (!jid) return "from '" + *from + "' is not a JID";
  auto elsewhere = [&](const Jid& j) -> std::optional<std::string> {
    auto node = server_.registry.holder(j);
    if (held_by_origin(node, m.node, self_)) return std::nullopt;
    if (!j.has_local()) {  // a call bridge's domain: its former holder's resends are let in for a while
      std::lock_guard lock(registry_mu_);
      auto former = former_holders_.find(j.full());
      if (former != former_holders_.end() &&
          may_speak_for_bridge(node, former->second, m.node, Clock::now(), kGiveUpAfter))
        return std::nullopt;
    }
    if (*node == 0) return "from '" + *from + "' is held by this node";
    return "from '" + *from + "' is held by member " + std::to_string(*node);
  };
  if (jid->has_resource() && jid->has_local())
    if (auto why = elsewhere(*jid)) return why;
  auto domain = Jid::parse(jid->domain());
  if (domain) return elsewhere(*domain);  // a call bridge's domain
  return std::nullopt;
}

void ClusterRouter::learn_sender(const RouterMessage& m) {
  const auto& e = m.sessions[0];
  auto from = stanza_from(m.stanza);
  auto jid = Jid::parse(e.jid);
  if (!from || *from != e.jid || !jid || !jid->has_resource()) return;  // only the stanza's own sender
  std::lock_guard lock(registry_mu_);
  if (!server_.registry.holder(*jid)) put_session(m.node, e);
}

void ClusterRouter::deliver_here(const RouterMessage& m) {
  if (auto why = foreign_sender(m)) {
    // Not confirmed: a session that moved is placed right by the time the origin resends.
    if (refusals_.should_log("stanza " + std::to_string(m.node), Clock::now()))
      server_.log->warn("cluster: stanza from member {:x} refused: {}", m.node, *why);
    return;
  }
  const ForwardedFrom key{m.node, m.incarnation, m.seq};
  const bool to_bridge = m.node != self_ && m.jid.find('@') == std::string::npos;  // a call bridge's domain
  // Parsed once: whether this node takes the stanza on, and its delivery, both need it.
  std::optional<Jid> target;
  if (!to_bridge)
    if (auto parsed = Jid::parse(m.jid)) target = std::move(*parsed);
  if (!to_bridge && !takes_on(target)) return;  // unconfirmed: the origin sends it again where the session is then
  bool repeat;
  {
    std::lock_guard lock(pending_mu_);
    auto& seen = seen_[{m.node, m.incarnation}];
    repeat = !seen.insert(m.seq).second;
    while (seen.size() > 8192) seen.erase(seen.begin());
    if (repeat) ++counters_.duplicates;
    else ++counters_.delivered_here;
    // Confirmed when the bridge answers it ("Stanzas for a call bridge").
    if (repeat && to_bridge && awaiting_answer_.count(key)) return;
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
    if (!hold && to_bridge && deliver_to_bridge(m) != ComponentLink::Forwarded::confirmed) return;
    if (!hold && !to_bridge && !(target && deliver_local(*target, m.stanza))) {
      // The session ended on the way: left unconfirmed, as one not here (takes_on).
      std::lock_guard lock(pending_mu_);
      seen_[{m.node, m.incarnation}].erase(m.seq);
      --counters_.delivered_here;
      return;
    }
  }
  confirm(m);
}

// A stanza a call bridge answered after its delivery: confirmed alone, as
// `delivered` (which every origin reads), from the stream's thread.
void ClusterRouter::confirm_one(const ForwardedFrom& stanza) {
  RouterMessage ack;
  ack.type = RouterMessageType::delivered;
  ack.node = self_;
  ack.incarnation = stanza.incarnation;
  ack.seq = stanza.seq;
  bus_->send(stanza.node, encode(ack));
}

ComponentLink::Forwarded ClusterRouter::deliver_to_bridge(const RouterMessage& m) {
  using Forwarded = ComponentLink::Forwarded;
  const ForwardedFrom key{m.node, m.incarnation, m.seq};
  {
    std::lock_guard lock(pending_mu_);
    awaiting_answer_.insert(key);  // before the bridge can answer it
  }
  auto outcome = server_.registry.send_forwarded_to_component(m.jid, m.stanza, key).value_or(Forwarded::gone);
  if (outcome == Forwarded::awaiting_answer) return outcome;
  {
    std::lock_guard lock(pending_mu_);
    awaiting_answer_.erase(key);
    if (outcome == Forwarded::gone) seen_[{m.node, m.incarnation}].erase(m.seq);
  }
  if (outcome == Forwarded::gone)
    server_.log->info("cluster: stanza from member {:x} for {}: no such call bridge here now; its origin sends it "
                      "again",
                      m.node, m.jid);
  return outcome;
}

void ClusterRouter::bridge_answered(const std::vector<ForwardedFrom>& stanzas) {
  for (auto& s : stanzas) {
    {
      std::lock_guard lock(pending_mu_);
      if (!awaiting_answer_.erase(s)) continue;
    }
    confirm_one(s);
  }
}

void ClusterRouter::bridge_released(const std::vector<ForwardedFrom>& stanzas, bool redeliver) {
  std::lock_guard lock(pending_mu_);
  for (auto& s : stanzas) {
    awaiting_answer_.erase(s);
    if (!redeliver) continue;
    auto seen = seen_.find({s.node, s.incarnation});
    if (seen != seen_.end()) seen->second.erase(s.seq);
  }
}

// An origin that reads delivered_many gets the confirmations of one read's
// stanzas in one message, sent once the read's messages are all handled.
void ClusterRouter::confirm(const RouterMessage& m) {
  const bool reads_many =
      std::find(m.components.begin(), m.components.end(), kReadsDeliveredMany) != m.components.end();
  if (!reads_many) {
    RouterMessage ack;
    ack.type = RouterMessageType::delivered;
    ack.node = self_;
    ack.incarnation = m.incarnation;
    ack.seq = m.seq;
    return bus_->send(m.node, encode(ack));
  }
  bool first, full;
  {
    std::lock_guard lock(confirm_mu_);
    first = unsent_confirmations_ == 0;
    confirmations_[{m.node, m.incarnation}].push_back(m.seq);
    full = ++unsent_confirmations_ >= kMaxConfirmationsPerMessage;
  }
  // Full: at once (bounded messages).
  if (full) return send_confirmations();
  // Messages arrive from cluster/peer_links, whose reads this joins directly:
  // ClusterBus has no notion of a read.
  if (first)
    cluster::PeerLinks::after_this_read([weak = weak_from_this()] {
      if (auto self = weak.lock()) self->send_confirmations();
    });
}

void ClusterRouter::send_confirmations() {
  std::map<std::pair<std::uint64_t, std::uint64_t>, std::vector<std::uint64_t>> all;
  {
    std::lock_guard lock(confirm_mu_);
    all.swap(confirmations_);
    unsent_confirmations_ = 0;
  }
  for (auto& [origin, seqs] : all) {
    RouterMessage ack;
    ack.type = RouterMessageType::delivered_many;
    ack.node = self_;
    ack.incarnation = origin.second;
    ack.seqs = std::move(seqs);
    bus_->send(origin.first, encode(ack));
  }
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

bool ClusterRouter::takes_on(const std::optional<Jid>& jid) const {
  return takes_on_forwarded(jid ? server_.registry.holder(*jid) : std::nullopt);
}

void ClusterRouter::deliver_now(const RouterMessage& m) {
  if (deliver_local(m.jid, m.stanza)) return;
  // The session ended on the way (or was never here): route it as new.
  server_.log->info("cluster: stanza from member {:x} for {}: no such session here, routed again", m.node, m.jid);
  route_again(server_, m.stanza);
}

bool ClusterRouter::deliver_local(const std::string& target, const std::string& stanza) {
  auto jid = Jid::parse(target);
  return jid && deliver_local(*jid, stanza);
}

bool ClusterRouter::deliver_local(const Jid& target, const std::string& stanza) {
  if (!target.has_local()) return server_.registry.send_to_component(target.full(), stanza);  // a call bridge of this node
  return server_.registry.deliver_to_session(target, stanza);
}

ClusterRouter::Location ClusterRouter::locate(const std::string& target) {
  auto jid = Jid::parse(target);
  if (!jid) return Location{Location::gone, 0};
  auto node = server_.registry.holder(*jid);
  // A call bridge between two connections is briefly nowhere: keep trying.
  if (!node) return Location{jid->has_local() ? Location::gone : Location::unknown, 0};
  return *node == 0 ? Location{Location::here, 0} : Location{Location::elsewhere, *node};
}

// Sends unconfirmed stanzas again (all of them, or those unconfirmed for
// kResendAfter), each to where its target is now: a session or call bridge
// may have moved (or its node died) since the stanza first left. A session that
// is absent (its member went silent) is waited for; a call bridge name with no
// holder is waited for here (component_wait.h); what waited too long is bounced.
void ClusterRouter::resend(bool all, Clock::time_point now) {
  std::vector<std::pair<std::uint64_t, std::string>> due;
  std::vector<std::string> expired;
  {
    std::lock_guard lock(pending_mu_);
    // A stream whose hop changed (a leader came, the registry arrived, a stall
    // ended) goes again on its new hop before anything new does.
    std::vector<std::uint64_t> targets;
    for (auto& [target, stream] : streams_) targets.push_back(target);
    for (auto target : targets) use_hop(target, hop_for(target, now), now);
    for (auto it = pending_.begin(); it != pending_.end();) {
      if (now - it->second.first_sent > kGiveUpAfter) {
        pending_bytes_ -= it->second.stanza.size();
        stream_done(it->second.target_node);
        expired.push_back(std::move(it->second.stanza));
        it = pending_.erase(it);
        ++counters_.bounced;
        continue;
      }
      if (all || now - it->second.last_sent > kResendAfter) due.emplace_back(it->first, it->second.jid);
      ++it;
    }
  }
  for (auto& stanza : expired)
    bounce_undeliverable(server_, stanza, kRemoteServerTimeout,
                         "never confirmed by another node in " + std::to_string(kGiveUpAfter.count()) + " s");
  for (auto& [seq, jid] : due) {
    auto where = locate(jid);  // without pending_mu_ (lock order)
    auto absence = AbsentSessions::State::unknown;
    if (where.kind == Location::gone) {
      std::lock_guard lock(absent_mu_);
      absence = absent_.state(jid, now);
    }
    enum { send, route_here, bounce_it } act = send;
    if (where.kind == Location::here) act = route_here;
    if (where.kind == Location::gone) act = absence == AbsentSessions::State::awaited  ? send
                                         : absence == AbsentSessions::State::timed_out ? bounce_it
                                                                                       : route_here;
    if (where.kind == Location::unknown) act = route_here;  // a call bridge nobody holds: it waits here
    std::optional<Pending> take;
    {
      std::lock_guard lock(pending_mu_);
      auto it = pending_.find(seq);
      if (it == pending_.end()) continue;  // confirmed meanwhile
      if (act != send) {
        pending_bytes_ -= it->second.stanza.size();
        stream_done(it->second.target_node);
        take = std::move(it->second);
        pending_.erase(it);
        if (act == bounce_it) ++counters_.bounced;
      } else {
        auto& p = it->second;
        if (where.kind == Location::elsewhere && where.member != p.target_node) {
          stream_done(p.target_node);  // the session moved: it joins the new node's stream
          p.target_node = where.member;
          ++streams_[p.target_node].unconfirmed;
        }
        const auto target = p.target_node;
        auto& stream = streams_[target];
        const bool sent_straight = stream.hop.kind == Hop::direct && target != route_view_.leader &&
                                   self_ != route_view_.leader;
        if (sent_straight && now - p.last_sent > kResendAfter) stalled_until_[target] = now + kStalledFor;
        auto hop = hop_for(target, now);
        if (hop != stream.hop) {
          use_hop(target, hop, now);  // sends this one again too, in order
        } else {
          p.last_sent = now;
          send_on(seq, p, hop);
        }
        ++counters_.resent;
      }
    }
    if (!take) continue;
    if (act == bounce_it) {
      bounce_undeliverable(server_, take->stanza, kRecipientUnavailable,
                           "waited " + std::to_string(AbsentSessions::kAwaitReturn.count()) +
                               " s for a session whose node went silent");
    } else if (!deliver_local(take->jid, take->stanza)) {
      server_.log->info("cluster: unconfirmed stanza for {}: not there any more, routed again", take->jid);
      route_again(server_, take->stanza);
    }
  }
}

void ClusterRouter::bounce_overflow() {
  std::vector<std::string> overflow;
  {
    std::lock_guard lock(pending_mu_);
    overflow.swap(overflow_);
  }
  for (auto& stanza : overflow)
    bounce_undeliverable(server_, stanza, kRemoteServerTimeout, "too many stanzas wait for other nodes");
}

std::optional<AbsentSessions::Found> ClusterRouter::absent_session(const Jid& to, bool any_resource) {
  std::lock_guard lock(absent_mu_);
  if (!absent_.size()) return std::nullopt;
  return absent_.absent_for(to.bare_view(), to.full(), any_resource, Clock::now());
}

// ---- stanzas to other nodes ------------------------------------------------------

void ClusterRouter::relay(std::uint64_t node, const std::string& jid, std::string_view bytes) {
  std::lock_guard lock(pending_mu_);
  if (pending_.size() >= kMaxUnconfirmed || pending_bytes_ + bytes.size() > kMaxUnconfirmedBytes) {
    // Under the registry's lock here: bounced at the next tick, which routes.
    if (overflow_.size() < kMaxUnconfirmed) overflow_.emplace_back(bytes);
    ++counters_.bounced;
    return;
  }
  std::uint64_t seq = next_seq_++;
  auto now = Clock::now();
  auto hop = hop_for(node, now);
  use_hop(node, hop, now);  // before this stanza joins the stream: see "Order per sender"
  pending_bytes_ += bytes.size();
  auto& p = pending_[seq] = Pending{node, jid, std::string(bytes), now, now};
  if (!fresh_.empty())
    if (auto from = stanza_from(bytes))
      if (auto it = fresh_.find(*from); it != fresh_.end() && now - it->second.at < kFreshFor)
        p.sender.push_back(it->second.entry);
  ++streams_[node].unconfirmed;
  ++counters_.forwarded;
  if (hop.kind == Hop::direct) ++counters_.straight;
  send_on(seq, p, hop);
}

bool ClusterRouter::to_remote_component(std::string_view domain, std::string_view bytes) {
  auto node = server_.registry.remote_component(domain);
  if (!node) return false;
  relay(*node, std::string(domain), bytes);
  return true;
}

Hop ClusterRouter::hop_for(std::uint64_t target, Clock::time_point now) const {
  PathView v;
  v.self = self_;
  v.leader = route_view_.leader;
  v.registry_current = route_view_.registry_current;
  v.leader_heard = route_view_.leader_heard;
  v.target_member = route_view_.members.count(target) != 0;
  v.target_absent = route_view_.absent.count(target) != 0;
  auto stalled = stalled_until_.find(target);
  v.target_stalled = stalled != stalled_until_.end() && now < stalled->second;
  return choose_path(v, target);
}

void ClusterRouter::use_hop(std::uint64_t target, Hop hop, Clock::time_point now) {
  auto it = streams_.find(target);
  if (it == streams_.end()) {
    streams_[target].hop = hop;
    return;
  }
  if (it->second.hop == hop) return;
  it->second.hop = hop;
  for (auto& [seq, p] : pending_)  // in sequence order
    if (p.target_node == target) {
      p.last_sent = now;
      send_on(seq, p, hop);
    }
}

void ClusterRouter::stream_done(std::uint64_t target) {
  auto it = streams_.find(target);
  if (it != streams_.end() && it->second.unconfirmed > 0 && --it->second.unconfirmed == 0) streams_.erase(it);
}

void ClusterRouter::send_on(std::uint64_t seq, const Pending& p, Hop hop) {
  if (hop.kind == Hop::hold) return;  // sent when the stream gets a hop
  RouterMessage m;
  m.type = hop.kind == Hop::via_leader ? RouterMessageType::relay : RouterMessageType::deliver;
  m.node = self_;
  m.incarnation = incarnation_;
  m.seq = seq;
  m.target_node = p.target_node;
  m.jid = p.jid;
  m.stanza = p.stanza;
  if (hop.kind == Hop::direct) m.sessions = p.sender;  // through the leader, its registration goes first anyway
  m.components.emplace_back(kReadsDeliveredMany);
  bus_->send(hop.member, encode(m));
}

void ClusterRouter::refresh_route_view(const cluster::ConsensusStatus& st) {
  RouteView v;
  v.leader = st.leader_id;
  v.registry_current = st.leader_id != 0 && (st.leader_id == self_ || synced_with_ == st.leader_id);
  v.leader_heard = st.leader_id == self_;
  for (auto& m : st.members) {
    v.members.insert(m.id);
    if (m.id == st.leader_id && m.last_contact_age && *m.last_contact_age <= kSilentAfter) v.leader_heard = true;
  }
  {
    std::lock_guard lock(absent_mu_);
    v.absent = absent_.members();
  }
  std::lock_guard lock(pending_mu_);
  route_view_ = std::move(v);
  const auto now = Clock::now();
  for (auto it = stalled_until_.begin(); it != stalled_until_.end();)
    it = now >= it->second ? stalled_until_.erase(it) : std::next(it);
  for (auto it = fresh_.begin(); it != fresh_.end();)
    it = now - it->second.at >= kFreshFor ? fresh_.erase(it) : std::next(it);
}

}  // namespace convene::xmpp
