#include "xmpp/c2s.h"

#include <atomic>

#include "util/random.h"
#include "xml/document_pool.h"
#include "xml/serializer.h"
#include "xmpp/routing_rules.h"
#include "xmpp/undeliverable.h"
#include "xmpp_core/base64.h"

namespace convene::xmpp {

namespace {
constexpr int kMaxSaslFailures = 3;
const xml::WriteContext kClientContext{kClientNs, true};
}  // namespace

ClientStream::ClientStream(Server& server, asio::ip::tcp::socket socket)
    : Connection(server, std::move(socket), kClientNs) {}

ClientStream::ClientStream(Server& server, asio::any_io_executor executor, std::shared_ptr<StreamTransport> transport,
                           bool secure, std::string peer_ip, uint16_t peer_port)
    : Connection(server, std::move(executor), std::move(transport), secure, std::move(peer_ip), peer_port,
                 kClientNs) {}

// ---- any thread ----------------------------------------------------------------

void ClientStream::offline_stored() {
  // Under the registry's lock (offline_stored in offline.cpp): only post.
  asio::post(executor(), [self = std::static_pointer_cast<ClientStream>(shared_from_this())] {
    if (!self->initial_presence_sent_ || self->ended_) return;  // its initial presence will deliver it
    {
      std::lock_guard lock(self->state_mu_);
      if (self->taken_over_ || !self->available_ || self->priority_ < 0) return;
    }
    deliver_offline(*self);
  });
}

void ClientStream::deliver(std::string_view bytes) {
  std::lock_guard lock(state_mu_);
  if (sm_enabled_) {
    if (sm_sizes_.size() >= kMaxUnacked) {
      post_close("resource-constraint", "too many unacknowledged stanzas");
      return;
    }
    sm_queue_.append(bytes);
    sm_sizes_.push_back(static_cast<uint32_t>(bytes.size()));
    if (detached_) return;
    send(bytes);
    // Ask for an acknowledgement now and then so the queue stays short.
    if (sm_sizes_.size() % 5 == 0) send("<r xmlns='urn:xmpp:sm:3'/>");
    return;
  }
  send(bytes);
}

bool ClientStream::available() const {
  std::lock_guard lock(state_mu_);
  return available_;
}
int ClientStream::priority() const {
  std::lock_guard lock(state_mu_);
  return priority_;
}
std::string ClientStream::presence() const {
  std::lock_guard lock(state_mu_);
  return presence_;
}

void ClientStream::set_presence(bool available, int priority, std::string raw) {
  {
    std::lock_guard lock(state_mu_);
    available_ = available;
    priority_ = priority;
    presence_ = std::move(raw);
  }
  server_.registry.presence_changed(*this);
}

// ---- helpers for modules -------------------------------------------------------

void ClientStream::deliver_element(const xml::Element& element) {
  std::string out;
  xml::serialize(element, out, kClientContext);
  deliver(out);
}

void ClientStream::reply_result(const xml::Element& iq, const std::function<void(xml::Element&)>& fill) {
  xml::PooledDocument doc;
  auto& r = doc->create_element("iq", kClientNs);
  r.set_attr("type", "result");
  if (auto id = iq.attr("id"); !id.empty()) r.set_attr("id", id);
  r.set_attr("to", jid_.valid() ? std::string_view(jid_.full()) : std::string_view());
  if (auto to = iq.attr("to"); !to.empty()) r.set_attr("from", to);
  if (fill) fill(r);
  deliver_element(r);
}

void ClientStream::reply_error(const xml::Element& iq, StanzaError error) {
  xml::PooledDocument doc;
  auto& r = doc->create_element(iq.name(), kClientNs);
  r.set_attr("type", "error");
  if (auto id = iq.attr("id"); !id.empty()) r.set_attr("id", id);
  if (jid_.valid()) r.set_attr("to", jid_.full());
  if (auto to = iq.attr("to"); !to.empty()) r.set_attr("from", to);
  auto& e = r.add_child("error");
  e.set_attr("type", error.type);
  e.add_child(error.condition, kStanzasNs);
  deliver_element(r);
}

void ClientStream::write_store(std::vector<StoreCommand> commands, std::function<void()> then) {
  if (commands.empty()) {
    if (then) then();
    return;
  }
  hold();
  auto self = std::static_pointer_cast<ClientStream>(shared_from_this());
  auto remaining = std::make_shared<std::atomic<size_t>>(commands.size());
  auto shared_then = std::make_shared<std::function<void()>>(std::move(then));
  for (auto& c : commands) {
    std::string op = c.value("op", "");
    server_.store.submit(std::move(c), [self, remaining, shared_then, op](Status st) {
      if (!st) self->server_.log->warn("{}: store write {} failed: {}", self->jid_.full(), op, st.error().message);
      if (remaining->fetch_sub(1) != 1) return;
      asio::post(self->executor(), [self, shared_then] {
        if (*shared_then && !self->closed()) (*shared_then)();
        self->release_hold();
      });
    });
  }
}

// ---- negotiation ---------------------------------------------------------------

void ClientStream::on_stream_open(const xml::StreamHeader& header) {
  auto to = prepare_domainpart(header.to);
  send_header(server_.settings.domain, {});
  if (!to || *to != server_.settings.domain) {
    stream_error("host-unknown", "this server serves " + server_.settings.domain);
    return;
  }
  if (header.version.empty() || header.version[0] < '1') {
    stream_error("unsupported-version");
    return;
  }
  state_ = State::features;
  send_features();
}

void ClientStream::send_features() {
  std::string f = "<stream:features>";
  const bool authed = !user_.empty();
  if (!authed) {
    if (!tls_active() && server_.tls()) {
      f += "<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'>";
      if (!server_.settings.allow_plaintext) f += "<required/>";
      f += "</starttls>";
    }
    if (tls_active() || server_.settings.allow_plaintext) {
      f += "<mechanisms xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>";
      for (auto m : sasl_mechanisms(tls_active() || server_.settings.allow_plaintext)) {
        f += "<mechanism>";
        f += m;
        f += "</mechanism>";
      }
      f += "</mechanisms>";
      if (server_.settings.allow_registration) f += "<register xmlns='http://jabber.org/features/iq-register'/>";
    }
  } else {
    f += "<bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'/>";
    f += "<session xmlns='urn:ietf:params:xml:ns:xmpp-session'><optional/></session>";
    f += "<sm xmlns='urn:xmpp:sm:3'/>";
  }
  f += "</stream:features>";
  send(f);
}

void ClientStream::handle_stanza(xml::Element& stanza, std::string_view raw) {
  if (state_ == State::bound) return on_session_stanza(stanza, raw);
  const auto ns = stanza.ns();
  const auto name = stanza.name();
  const bool authed = !user_.empty();
  if (!authed) {
    if (ns == kTlsNs && name == "starttls") {
      answer_starttls();
      return;
    }
    if (!tls_active() && !server_.settings.allow_plaintext) {
      return stream_error("policy-violation", "STARTTLS is required");
    }
    if (ns == kSaslNs && name == "auth") return on_auth(stanza);
    if (ns == kClientNs && is_registration(stanza)) return on_register(stanza);
    if (ns == kSaslNs && name == "response") return on_sasl_response(stanza);
    if (ns == kSaslNs && name == "abort") {
      sasl_.reset();
      send("<failure xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><aborted/></failure>");
      return;
    }
    return stream_error("not-authorized");
  }
  if (ns == kSmNs && name == "resume") return sm_resume(stanza);
  if (ns == kSmNs) {
    if (name == "enable") {
      send("<failed xmlns='urn:xmpp:sm:3'><unexpected-request xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></failed>");
      return;
    }
    return;  // <r/>/<a/> before bind: nothing to count
  }
  if (ns == kClientNs && name == "iq") {
    auto* bind = stanza.find_child("bind", kBindNs);
    if (bind && stanza.attr("type") == "set") return on_bind(stanza);
    reply_error(stanza, kNotAllowed);
    return;
  }
  stream_error("not-authorized");
}

namespace {
// <failure/> with an optional human-readable <text/> (RFC 6120 §6.4.5).
std::string sasl_failure(std::string_view condition, std::string_view text) {
  std::string f = "<failure xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><";
  f += condition;
  f += "/>";
  if (!text.empty()) {
    f += "<text xml:lang='en'>";
    xml::escape_text(text, f);
    f += "</text>";
  }
  f += "</failure>";
  return f;
}
}  // namespace

void ClientStream::on_auth(xml::Element& auth) {
  if (auto wait = server_.abuse.sasl_by_address.wait_for(peer_ip(), AttemptThrottle::Clock::now())) {
    // Refused before any password is looked at: a guessing loop costs us nothing.
    auto seconds = std::to_string((wait->count() + 999) / 1000);
    server_.log->warn("{}: authentication refused: too many failed attempts from this address (next in {} s)", peer(),
                      seconds);
    send(sasl_failure("temporary-auth-failure",
                      "Too many failed authentication attempts from your address; try again in " + seconds + " s."));
    if (++sasl_failures_ >= kMaxSaslFailures) stream_error("policy-violation", "too many failed authentications");
    return;
  }
  sasl_ = std::make_unique<SaslExchange>(server_.store, tls_active() || server_.settings.allow_plaintext,
                                         &server_.plain_cache);
  std::optional<std::string> initial;
  auto text = auth.text();
  if (!text.empty()) {
    if (text == "=") {
      initial = std::string();
    } else {
      auto decoded = base64_decode(text);
      if (!decoded) {
        send("<failure xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><incorrect-encoding/></failure>");
        return;
      }
      initial = std::move(*decoded);
    }
  }
  sasl_step(sasl_->start(auth.attr("mechanism"), std::move(initial)));
}

void ClientStream::on_sasl_response(xml::Element& response) {
  if (!sasl_) {
    send("<failure xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><malformed-request/></failure>");
    return;
  }
  auto decoded = base64_decode(response.text());
  if (!decoded) {
    send("<failure xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><incorrect-encoding/></failure>");
    return;
  }
  sasl_step(sasl_->respond(*decoded));
}

void ClientStream::sasl_step(SaslStep step) {
  switch (step.kind) {
    case SaslStep::Kind::challenge:
      send("<challenge xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>" + base64_encode(step.data) + "</challenge>");
      return;
    case SaslStep::Kind::failure: {
      sasl_.reset();
      server_.log->info("{}: authentication failed: {}", peer(), step.log_text);
      auto answer_after = count_failure(step);
      auto f = sasl_failure(condition_name(step.condition), {});
      if (answer_after.count() == 0) return answer_failure(f);
      // A guessed account: the failure waits, the connection reads nothing meanwhile.
      hold();
      sasl_timer_ = std::make_unique<asio::steady_timer>(executor(), answer_after);
      sasl_timer_->async_wait([self = std::static_pointer_cast<ClientStream>(shared_from_this()), f](
                                  const asio::error_code& ec) {
        if (!ec && !self->closed()) self->answer_failure(f);
        self->release_hold();
      });
      return;
    }
    case SaslStep::Kind::success: {
      sasl_.reset();
      user_ = step.user;
      server_.abuse.sasl_by_account.forget(user_);
      std::string s = "<success xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>";
      if (!step.data.empty()) s += base64_encode(step.data);
      s += "</success>";
      send(s);
      server_.log->info("{}: authenticated as {}@{}", peer(), user_, server_.settings.domain);
      set_authenticated();
      stream_restart();
      state_ = State::header;
      return;
    }
  }
}

AttemptThrottle::Duration ClientStream::count_failure(const SaslStep& step) {
  if (step.condition != SaslCondition::not_authorized) return {};  // a broken client, not a guess
  auto now = AttemptThrottle::Clock::now();
  auto address_wait = server_.abuse.sasl_by_address.record(peer_ip(), now);
  if (address_wait.count() > 0)
    server_.log->warn("{}: repeated failed authentications from this address: next attempt refused for {} ms", peer(),
                      address_wait.count());
  if (step.user.empty()) return {};
  auto account_wait = server_.abuse.sasl_by_account.record(step.user, now);
  if (account_wait.count() > 0)
    server_.log->warn("{}: repeated failed authentications for account '{}': this failure is answered after {} ms",
                      peer(), step.user, account_wait.count());
  return account_wait;
}

void ClientStream::answer_failure(const std::string& failure) {
  send(failure);
  if (++sasl_failures_ >= kMaxSaslFailures) stream_error("policy-violation", "too many failed authentications");
}

void ClientStream::on_bind(xml::Element& iq) {
  auto* bind = iq.find_child("bind", kBindNs);
  std::string resource;
  if (auto* r = bind->find_child("resource", kBindNs); r && !r->text().empty()) {
    auto prepared = prepare_resourcepart(r->text());
    if (!prepared) return reply_error(iq, kBadRequest);
    resource = *prepared;
  } else {
    resource = random_id(12);
  }
  auto j = Jid::make(user_, server_.settings.domain, resource);
  if (!j) return reply_error(iq, kBadRequest);
  jid_ = *j;
  auto replaced = std::static_pointer_cast<ClientStream>(
      server_.registry.bind(std::static_pointer_cast<ClientStream>(shared_from_this())));
  if (replaced) {
    replaced->ended_ = true;  // the new session owns the resource now
    replaced->post_close("conflict", "replaced by a new connection");
  }
  bound_ = true;
  state_ = State::bound;
  server_.log->info("{}: session {} started", peer(), jid_.full());
  reply_result(iq, [this](xml::Element& r) {
    r.add_child("bind", kBindNs).add_child("jid").add_text(jid_.full());
  });
}

// ---- the bound session ---------------------------------------------------------

void ClientStream::on_session_stanza(xml::Element& stanza, std::string_view raw) {
  if (stanza.ns() == kSmNs) return on_sm(stanza);
  if (stanza.ns() != kClientNs) return stream_error("unsupported-stanza-type");
  auto kind = stanza_kind(stanza.name());
  if (kind == StanzaKind::other) return stream_error("unsupported-stanza-type");
  {
    std::lock_guard lock(state_mu_);
    if (sm_enabled_) ++sm_in_;
  }
  Jid to;
  if (auto t = stanza.attr("to"); !t.empty()) {
    auto parsed = Jid::parse(t);
    if (!parsed) {
      if (stanza.attr("type") != "error") reply_error(stanza, {"modify", "jid-malformed"});
      return;
    }
    to = std::move(*parsed);
  }
  switch (kind) {
    case StanzaKind::presence:
      return handle_presence(*this, stanza, raw);
    case StanzaKind::iq: {
      auto type = stanza.attr("type");
      if (type != "get" && type != "set" && type != "result" && type != "error") {
        return reply_error(stanza, kBadRequest);
      }
      if (!to.valid() || to.full() == jid_.bare_view() ||
          (to.is_domain() && to.domain() == server_.settings.domain)) {
        return handle_server_iq(*this, stanza, to.valid() ? to : jid_.bare());
      }
      return route(server_, jid_, to, stanza, raw);
    }
    case StanzaKind::message:
      if (!to.valid()) to = jid_.bare();
      return route(server_, jid_, to, stanza, raw);
    default:
      return;
  }
}

void ClientStream::handle_close() {
  // Clean close: the session ends now, even with stream management.
  {
    std::lock_guard lock(state_mu_);
    sm_resumable_ = false;
  }
  stream_error({});
}

void ClientStream::on_disconnect() {
  if (!bound_ || ended_) return;
  bool keep = false;
  {
    std::lock_guard lock(state_mu_);
    if (taken_over_) return;
    if (sm_resumable_ && !server_.stopping) {
      detached_ = true;
      keep = true;
    }
  }
  if (keep) {
    server_.log->info("{}: connection of {} lost; resumable for {} s", peer(), jid_.full(), kResumeSeconds);
    resume_timer_ = std::make_unique<asio::steady_timer>(executor(), std::chrono::seconds(kResumeSeconds));
    auto self = std::static_pointer_cast<ClientStream>(shared_from_this());
    resume_timer_->async_wait([self](const asio::error_code& ec) {
      if (ec) return;
      {
        std::lock_guard lock(self->state_mu_);
        if (self->taken_over_) return;
      }
      self->end_session();
    });
    return;
  }
  end_session();
}

void ClientStream::on_service_stop() {
  auto self = std::static_pointer_cast<ClientStream>(shared_from_this());
  ++server_.handing_on;
  asio::post(executor(), [self] {
    bool waiting;
    {
      std::lock_guard lock(self->state_mu_);
      waiting = self->detached_ && !self->taken_over_;
    }
    if (waiting) {
      self->resume_timer_.reset();
      self->end_session();
    }
    --self->server_.handing_on;
  });
}

void ClientStream::end_session() {
  if (ended_.exchange(true)) return;
  ++server_.handing_on;
  server_.registry.unbind(*this, sm_id_);
  if (available()) broadcast_unavailable(*this);
  server_.log->info("{}: session {} ended", peer(), jid_.full());
  // Unbound first, so that what the client never acknowledged does not come back here.
  std::string queue;
  std::deque<uint32_t> sizes;
  {
    std::lock_guard lock(state_mu_);
    queue.swap(sm_queue_);
    sizes.swap(sm_sizes_);
  }
  std::string_view rest = queue;
  for (uint32_t n : sizes) {
    route_unacknowledged(server_, rest.substr(0, n));
    rest.remove_prefix(n);
  }
  if (!sizes.empty())
    server_.log->info("{}: {} stanza(s) {} did not acknowledge routed again", peer(), sizes.size(), jid_.full());
  --server_.handing_on;
}

}  // namespace convene::xmpp
