#include "xmpp/component.h"

#include "xml/serializer.h"
#include "xmpp/routing_rules.h"

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
  auto to = prepare_domainpart(header.to);
  send_header(to ? std::string_view(*to) : std::string_view(server_.settings.domain), {});
  if (!to || !server_.is_component_domain(*to)) {
    server_.log->warn("component connection from {} for unknown domain '{}'", peer(), header.to);
    stream_error("host-unknown");
    return;
  }
  domain_ = *to;
  name_ = domain_.substr(0, domain_.size() - server_.settings.domain.size() - 1);
}

void ComponentStream::handle_stanza(xml::Element& stanza, std::string_view raw) {
  if (!handshaken_) {
    if (stanza.name() != "handshake" || domain_.empty()) return stream_error("not-authorized");
    auto cb = server_.store.callbridge(name_);
    if (!cb || !digest_equal(stanza.text(), component_handshake_digest(stream_id_, cb->secret))) {
      server_.log->warn("authentication failure: call bridge '{}' ({}) from {}: {}", name_, domain_, peer(),
                        cb ? "wrong secret" : "no such call bridge");
      stream_error("not-authorized");
      return;
    }
    handshaken_ = true;
    set_authenticated();
    auto older =
        server_.registry.register_component(domain_, std::static_pointer_cast<ComponentStream>(shared_from_this()));
    if (older) older->replaced();
    send("<handshake/>");
    server_.log->info("call bridge '{}' connected as {} from {}", name_, domain_, peer());
    return;
  }
  auto kind = stanza_kind(stanza.name());
  if (kind == StanzaKind::other) return stream_error("unsupported-stanza-type");
  auto from = Jid::parse(stanza.attr("from"));
  if (!from || from->domain() != domain_) return stream_error("invalid-from");
  auto to = Jid::parse(stanza.attr("to"));
  if (!to) {
    if (stanza.attr("type") != "error") bounce(server_, *from, Jid::parse(domain_).value(), stanza, {"modify", "jid-malformed"});
    return;
  }
  route(server_, *from, *to, stanza, raw);
}

void ComponentStream::handle_close() { stream_error({}); }

void ComponentStream::on_disconnect() {
  if (!handshaken_) return;
  if (!server_.registry.unregister_component(domain_, *this)) return;
  server_.log->info("call bridge '{}' disconnected ({})", name_, peer());
}

}  // namespace convene::xmpp
