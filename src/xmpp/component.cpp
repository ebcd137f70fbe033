#include "xmpp/component.h"

#include "util/random.h"
#include "xml/serializer.h"
#include "xmpp/cluster_router.h"
#include "xmpp/routing_rules.h"
#include "xmpp/undeliverable.h"

namespace convene::xmpp {

namespace {
// Constant-time comparison of the hex digests (case-insensitive for A-F).
bool digest_equal(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  unsigned char diff = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    unsigned char x = static_cast<unsigned char>(a[i]), y = static_cast<unsigned char>(b[i]);
    if (x >= 'A' && x <= 'F') x = static_cast<unsigned char>(x - 'A' + 'a');
    diff |= static_cast<unsigned char>(x ^ y);
  }
  return diff == 0;
}
}  // namespace

ComponentStream::ComponentStream(Server& server, asio::ip::tcp::socket socket)
    : Connection(server, std::move(socket), kComponentNs) {}

void ComponentStream::on_stream_open(const xml::StreamHeader& header) {
  // After TLS the stream starts again: a new id, so no handshake digest seen
  // before TLS (there is none from us, but a peer may have sent one) is reused.
  if (tls_active()) stream_id_ = random_id(16);
  auto to = prepare_domainpart(header.to);
  send_header(to ? std::string_view(*to) : std::string_view(server_.settings.domain), {});
  if (!to || !server_.is_component_domain(*to)) {
    server_.log->warn("component connection from {} for unknown domain '{}'", peer(), header.to);
    refuse("host-unknown", {});
    return;
  }
  domain_ = *to;
  name_ = domain_.substr(0, domain_.size() - server_.settings.domain.size() - 1);
  // A component that opens with version='1.0' reads stream features (as in
  // XEP-0225): it is offered STARTTLS. A classic XEP-0114 component sends no
  // version and gets none, so it sees the stream exactly as before.
  if (!header.version.empty() && header.version[0] >= '1') {
    std::string f = "<stream:features>";
    if (server_.tls() && !tls_active()) f += "<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>";
    f += "</stream:features>";
    send(f);
  }
}

bool ComponentStream::throttled() {
  auto wait = server_.abuse.component_by_address.wait_for(peer_ip(), AttemptThrottle::Clock::now());
  if (!wait) return false;
  auto seconds = std::to_string((wait->count() + 999) / 1000);
  server_.log->warn("component handshake from {} refused: too many failed handshakes from this address (next in {} s)",
                    peer(), seconds);
  stream_error("policy-violation", "too many failed handshakes from your address; try again in " + seconds + " s");
  return true;
}

void ComponentStream::refuse(std::string_view condition, std::string_view text) {
  auto wait = server_.abuse.component_by_address.record(peer_ip(), AttemptThrottle::Clock::now());
  if (wait.count() > 0)
    server_.log->warn("repeated failed component handshakes from {}: the next is refused for {} ms", peer_ip(),
                      wait.count());
  stream_error(condition, text);
}

void ComponentStream::handle_stanza(xml::Element& stanza, std::string_view raw) {
  if (!handshaken_) {
    if (stanza.ns() == kTlsNs && stanza.name() == "starttls") {
      answer_starttls();
      return;
    }
    if (stanza.name() != "handshake" || domain_.empty()) return stream_error("not-authorized");
    if (standby_timer_) return stream_error("not-authorized", "a handshake of this stream already waits");
    if (throttled()) return;
    auto cb = server_.store.callbridge(name_);
    if (!cb || !digest_equal(stanza.text(), component_handshake_digest(stream_id_, cb->secret))) {
      server_.log->warn("authentication failure: call bridge '{}' ({}) from {}: {}", name_, domain_, peer(),
                        cb ? "wrong secret" : "no such call bridge");
      refuse("not-authorized", {});
      return;
    }
    // A secret from before the strength rule (or copied from such a node) is refused
    // even when it matches: it could have been guessed.
    if (auto strong = check_component_secret(cb->secret); !strong) {
      server_.log->warn("authentication failure: call bridge '{}' ({}) from {}: its secret is too weak ({}); give it "
                        "a new one: xmpp callbridge del {} then xmpp callbridge add {}",
                        name_, domain_, peer(), strong.error().message, name_, name_);
      refuse("not-authorized", "the call bridge's secret is too weak; the server's operator must replace it");
      return;
    }
    server_.abuse.component_by_address.forget(peer_ip());
    if (stanza.attr("standby") == "true") {
      standby_ = true;
      if (name_held()) return wait_for_free_name(std::chrono::steady_clock::now() + kStandbyWait);
    }
    let_in();
    return;
  }
  auto kind = stanza_kind(stanza.name());
  if (kind == StanzaKind::other) return stream_error("unsupported-stanza-type");
  if (auto from = unanswered_.answered(stanza.attr("id")); !from.empty())
    if (auto cluster = server_.cluster()) cluster->bridge_answered(from);
  auto from = Jid::parse(stanza.attr("from"));
  if (!from || from->domain() != domain_) return stream_error("invalid-from");
  std::weak_ptr<Connection> weak = shared_from_this();
  if (occupants_->handle(stanza, [weak](std::string bytes) {
        if (auto self = weak.lock()) self->send(bytes);
      }))
    return;
  auto to = Jid::parse(stanza.attr("to"));
  if (!to) {
    if (stanza.attr("type") != "error") bounce(server_, *from, Jid::parse(domain_).value(), stanza, {"modify", "jid-malformed"});
    return;
  }
  route(server_, *from, *to, stanza, raw);
}

bool ComponentStream::name_held() const { return server_.registry.holder(Jid::parse(domain_).value()).has_value(); }

void ComponentStream::let_in() {
  handshaken_ = true;
  occupants_ = std::make_shared<ComponentOccupants>(server_, name_);
  set_authenticated();
  auto older =
      server_.registry.register_component(domain_, std::static_pointer_cast<ComponentStream>(shared_from_this()));
  if (older) older->replaced();
  send("<handshake/>");
  server_.log->info("call bridge '{}' connected as {} from {}{}", name_, domain_, peer(),
                    standby_ ? " (a standby taking the name over)" : "");
}

void ComponentStream::wait_for_free_name(std::chrono::steady_clock::time_point until) {
  if (!standby_timer_) standby_timer_ = std::make_unique<asio::steady_timer>(executor());
  standby_timer_->expires_after(kStandbyCheck);
  std::weak_ptr<Connection> weak = shared_from_this();
  standby_timer_->async_wait([weak, until](std::error_code ec) {
    auto self = std::static_pointer_cast<ComponentStream>(weak.lock());
    if (ec || !self || self->closed()) return;
    self->check_free_name(until);
  });
}

void ComponentStream::check_free_name(std::chrono::steady_clock::time_point until) {
  const auto now = std::chrono::steady_clock::now();
  if (name_held()) {
    let_in_at_.reset();
    if (now >= until) return stream_error("conflict", "call bridge '" + name_ + "' is served elsewhere; a standby waits");
    return wait_for_free_name(until);
  }
  // Free: the standbys of the other nodes saw it free at about the same moment.
  // Each waits a random part of kStandbyJitter and looks again, so that usually
  // one is let in and the others see its claim (two let in at once both yield).
  if (!let_in_at_) {
    let_in_at_ = now + std::chrono::milliseconds(random_u64() % (kStandbyJitter.count() + 1));
    return wait_for_free_name(until);
  }
  if (now < *let_in_at_) return wait_for_free_name(until);
  let_in();
}

void ComponentStream::handle_close() { stream_error({}); }

void ComponentStream::route_elsewhere(std::string_view bytes) {
  // Posted: the sender may hold the registry's locks, which routing takes again.
  auto self = std::static_pointer_cast<ComponentStream>(shared_from_this());
  asio::post(executor(), [self, bytes = std::string(bytes)] {
    self->server_.log->info("a stanza for call bridge {} came after its connection ended: routed again",
                            self->domain_);
    route_again(self->server_, bytes);
  });
}

ComponentStream::Forwarded ComponentStream::send_forwarded(std::string_view bytes, const ForwardedFrom& from) {
  auto kept = unanswered_.sent_for(bytes, UnansweredStanzas::Clock::now(), from);
  if (!kept.evicted.empty())
    if (auto cluster = server_.cluster()) cluster->bridge_released(kept.evicted, false);
  if (kept.outcome != Forwarded::gone) Connection::send(bytes);
  return kept.outcome;
}

void ComponentStream::on_disconnect() {
  if (!handshaken_) return;
  const bool held = server_.registry.unregister_component(domain_, *this);
  if (held) server_.log->info("call bridge '{}' disconnected ({})", name_, peer());
  // Also when replaced: what this connection got while it held the name and did
  // not answer may never have been read.
  auto taken = unanswered_.take(UnansweredStanzas::Clock::now());
  if (!taken.again.empty() || !taken.forwarded.empty())
    server_.log->info("call bridge '{}' ({}): stanzas sent to it and not answered: {} routed again, {} handed back "
                      "to the members that forwarded them",
                      name_, peer(), taken.again.size(), taken.forwarded.size());
  if (auto lost = unanswered_.evicted())
    server_.log->warn("call bridge '{}' ({}): {} stanza(s) sent to it were past the bound of what is kept unanswered "
                      "and may be lost",
                      name_, peer(), lost);
  if (!taken.forwarded.empty())
    if (auto cluster = server_.cluster()) cluster->bridge_released(taken.forwarded, true);
  for (auto& bytes : taken.again) route_again(server_, bytes);
}

}  // namespace convene::xmpp
