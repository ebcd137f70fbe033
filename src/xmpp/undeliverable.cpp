#include "xmpp/undeliverable.h"

#include "xml/stream_parser.h"
#include "xmpp/server.h"

namespace convene::xmpp {

namespace {

template <class F>
class OneStanza final : public xml::StreamHandler {
 public:
  explicit OneStanza(F& fn) : fn_(fn) {}
  void on_stream_open(const xml::StreamHeader&) override {}
  void on_stream_close() override {}
  void on_stanza(xml::Element& stanza, std::string_view raw) override {
    auto from = Jid::parse(stanza.attr("from"));
    auto to = Jid::parse(stanza.attr("to"));
    if (!from || !to) return;
    fn_(*from, *to, stanza, raw);
  }

 private:
  F& fn_;
};

// Parses `bytes` (one stanza, jabber:client) and calls fn(from, to, stanza, raw).
template <class F>
void parse_stanza(Server& server, std::string_view bytes, F fn) {
  OneStanza<F> handler(fn);
  xml::StreamParser parser(handler, {server.settings.limits.max_stanza_bytes, server.settings.limits.max_depth,
                                     std::string(kClientNs)});
  std::string doc = "<stream:stream xmlns='" + std::string(kClientNs) + "' xmlns:stream='" + std::string(kStreamsNs) + "'>";
  doc.append(bytes);
  if (auto err = parser.feed(doc)) server.log->warn("a held stanza could not be parsed again: {}", err->text);
}

}  // namespace

bool bounces_when_undeliverable(std::string_view name, std::string_view type) {
  if (type == "error") return false;
  if (name == "message") return true;
  if (name == "iq") return type == "get" || type == "set";
  return false;  // presence, and anything else
}

void bounce_undeliverable(Server& server, std::string_view bytes, StanzaError error, std::string_view why) {
  parse_stanza(server, bytes, [&](const Jid& from, const Jid& to, xml::Element& stanza, std::string_view) {
    const bool answered = bounces_when_undeliverable(stanza.name(), stanza.attr("type"));
    server.log->info("{} from {} to {} {}: {}", stanza.name(), from.full(), to.full(), why,
                     answered ? std::string("bounced with ") + std::string(error.condition) : std::string("dropped"));
    if (answered) bounce(server, from, to, stanza, error);
  });
}

void route_unacknowledged(Server& server, std::string_view bytes) {
  parse_stanza(server, bytes, [&](const Jid& from, const Jid& to, xml::Element& stanza, std::string_view raw) {
    const auto type = stanza.attr("type");
    const bool message = stanza.name() == "message" && type != "groupchat" && type != "error";
    const bool request = stanza.name() == "iq" && (type == "get" || type == "set");
    if (message || request) route(server, from, to, stanza, raw);
  });
}

void route_again(Server& server, std::string_view bytes) {
  parse_stanza(server, bytes, [&](const Jid& from, const Jid& to, xml::Element& stanza, std::string_view raw) {
    route(server, from, to, stanza, raw);
  });
}

}  // namespace convene::xmpp
