// The cluster router's forwarded stanzas (cluster_router.h, "Forwarded stanzas"
// and "Store before stanza"): relaying to the holding node, delivering here,
// confirming, resending, and holding stanzas until the store caught up.
#include <optional>

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
    if (!node || *node == m.node) return std::nullopt;
    if (*node == 0) return "from '" + *from + "' is held by this node";
    return "from '" + *from + "' is held by member " + std::to_string(*node);
  };
  if (jid->has_resource() && jid->has_local())
    if (auto why = elsewhere(*jid)) return why;
  auto domain = Jid::parse(jid->domain());
  if (domain) return elsewhere(*domain);  // a call bridge's domain
  return std::nullopt;
}

void ClusterRouter::deliver_here(const RouterMessage& m) {
  if (auto why = foreign_sender(m)) {
    // Not confirmed: a session that moved is placed right by the time the origin resends.
    if (refusals_.should_log("stanza " + std::to_string(m.node), Clock::now()))
      server_.log->warn("cluster: stanza from member {:x} refused: {}", m.node, *why);
    return;
  }
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
  route_again(server_, m.stanza);
}

bool ClusterRouter::deliver_local(const std::string& target, const std::string& stanza) {
  auto jid = Jid::parse(target);
  if (!jid) return false;
  if (!jid->has_local()) return server_.registry.send_to_component(target, stanza);  // a call bridge of this node
  return server_.registry.deliver_to_session(*jid, stanza);
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
void ClusterRouter::resend(bool all, std::uint64_t leader, Clock::time_point now) {
  std::vector<std::pair<std::uint64_t, std::string>> due;
  std::vector<std::string> expired;
  {
    std::lock_guard lock(pending_mu_);
    for (auto it = pending_.begin(); it != pending_.end();) {
      if (now - it->second.first_sent > kGiveUpAfter) {
        pending_bytes_ -= it->second.stanza.size();
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
        take = std::move(it->second);
        pending_.erase(it);
        if (act == bounce_it) ++counters_.bounced;
      } else {
        if (where.kind == Location::elsewhere) it->second.target_node = where.member;
        it->second.last_sent = now;
        send_pending(seq, it->second, leader);
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
  auto leader = bus_->status().leader_id;
  std::lock_guard lock(pending_mu_);
  if (pending_.size() >= kMaxUnconfirmed || pending_bytes_ + bytes.size() > kMaxUnconfirmedBytes) {
    // Under the registry's lock here: bounced at the next tick, which routes.
    if (overflow_.size() < kMaxUnconfirmed) overflow_.emplace_back(bytes);
    ++counters_.bounced;
    return;
  }
  std::uint64_t seq = next_seq_++;
  auto now = Clock::now();
  pending_bytes_ += bytes.size();
  auto& p = pending_[seq] = Pending{node, jid, std::string(bytes), now, now};
  ++counters_.forwarded;
  send_pending(seq, p, leader);
}

bool ClusterRouter::to_remote_component(std::string_view domain, std::string_view bytes) {
  auto node = server_.registry.remote_component(domain);
  if (!node) return false;
  relay(*node, std::string(domain), bytes);
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

}  // namespace convene::xmpp
