// XEP-0077 in-band registration, before authentication, only when the operator
// turned it on (`xmpp registration on`; off by default). An account is created
// through the store like `xmpp user add`: SCRAM keys only, never the password.
#include "xml/serializer.h"
#include "xmpp/c2s.h"
#include "xmpp_core/jid.h"
#include "xmpp_core/scram.h"
#include "xmpp/store_commands.h"

namespace convene::xmpp {

namespace {


std::string iq_reply(std::string_view id, std::string_view type, std::string_view body) {
  std::string out = "<iq type='";
  out += type;
  out += "' id='";
  xml::escape_attr(id, out);
  out += "'>";
  out += body;
  out += "</iq>";
  return out;
}

std::string error_body(const StanzaError& e, std::string_view text = {}) {
  std::string out = "<error type='";
  out += e.type;
  out += "'><";
  out += e.condition;
  out += " xmlns='";
  out += kStanzasNs;
  out += "'/>";
  if (!text.empty()) {
    out += "<text xmlns='";
    out += kStanzasNs;
    out += "' xml:lang='en'>";
    xml::escape_text(text, out);
    out += "</text>";
  }
  out += "</error>";
  return out;
}

constexpr StanzaError kNotAcceptable{"modify", "not-acceptable"};
constexpr StanzaError kResourceConstraint{"wait", "resource-constraint"};

}  // namespace

bool ClientStream::is_registration(const xml::Element& iq) const {
  return iq.name() == "iq" && iq.find_child("query", kRegisterNs) != nullptr;
}

void ClientStream::on_register(xml::Element& iq) {
  const std::string id(iq.attr("id"));
  if (!server_.settings.allow_registration) return send(iq_reply(id, "error", error_body(kServiceUnavailable)));
  const auto type = iq.attr("type");
  if (type == "get") {
    return send(iq_reply(id, "result",
                         "<query xmlns='" + std::string(kRegisterNs) +
                             "'><instructions>Choose a user name and a password."
                             "</instructions><username/><password/></query>"));
  }
  if (type != "set") return send(iq_reply(id, "error", error_body(kBadRequest)));
  auto* query = iq.find_child("query", kRegisterNs);
  auto* username = query->find_child("username", kRegisterNs);
  auto* password = query->find_child("password", kRegisterNs);
  if (!username || !password) return send(iq_reply(id, "error", error_body(kBadRequest)));
  auto user = prepare_localpart(username->text());
  std::string secret(password->text());
  if (!user || user->empty() || secret.empty()) return send(iq_reply(id, "error", error_body(kNotAcceptable)));
  // Per address: a script creating accounts, or probing which names are taken (a
  // conflict answers that too), is counted and slowed (abuse_limits.h).
  auto now = AttemptThrottle::Clock::now();
  if (auto wait = server_.abuse.registration_by_address.wait_for(peer_ip(), now)) {
    auto minutes = std::to_string((wait->count() + 59999) / 60000);
    server_.log->warn("{}: in-band registration of '{}' refused: too many registrations from this address", peer(),
                      *user);
    return send(iq_reply(id, "error",
                         error_body(kResourceConstraint, "Too many registrations from your address; try again in " +
                                                             minutes + " min.")));
  }
  server_.abuse.registration_by_address.record(peer_ip(), now);
  if (server_.store.user_exists(*user)) return send(iq_reply(id, "error", error_body(kConflict)));
  auto sha1 = make_credentials(ScramHash::sha1, secret);
  auto sha256 = make_credentials(ScramHash::sha256, secret);
  if (!sha1 || !sha256) return send(iq_reply(id, "error", error_body(kNotAcceptable)));

  // Answer once the account is durable; hold further input until then, so the
  // client's next <auth/> sees the new account.
  hold();
  auto self = std::static_pointer_cast<ClientStream>(shared_from_this());
  StoreCommand add = cmd::user_add(*user, *sha1, *sha256);
  std::string name = *user;
  server_.store.submit(std::move(add), [self, id, name](Status st) {
    asio::post(self->executor(), [self, id, name, st] {
      if (!self->closed()) {
        if (st) {
          self->server_.log->info("{}: registered account {} (in-band)", self->peer(), name);
          self->send(iq_reply(id, "result", ""));
        } else {
          // The only refusal the table makes for a valid name is "exists" (a race
          // with another registration or `xmpp user add`).
          self->send(iq_reply(id, "error", error_body(kConflict)));
        }
      }
      self->release_hold();
    });
  });
}

}  // namespace convene::xmpp
