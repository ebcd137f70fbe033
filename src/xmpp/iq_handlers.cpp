// IQs the server answers itself (RFC 6120 §8.2.3): to the domain, or to an
// account's bare JID on the account's behalf. Each namespace is one small handler
// in the table below: disco (XEP-0030), ping (XEP-0199), session (RFC 3921
// compatibility), roster (only from the account's own sessions).
#include "xml/serializer.h"
#include "xmpp/c2s.h"

namespace convene::xmpp {

namespace {

struct IqContext {
  Server& server;
  const Jid& to;  // the domain or an account's bare JID
  const xml::Element& iq;
  const xml::Element& payload;
  xml::Element& reply;  // type='result', addressed; handlers add the payload
};
// Returns an error to send instead of the reply, or nothing.
using IqHandler = std::optional<StanzaError> (*)(IqContext&);

std::optional<StanzaError> disco_info(IqContext& c) {
  if (c.iq.attr("type") != "get") return kBadRequest;
  auto& q = c.reply.add_child("query", kDiscoInfoNs);
  if (!c.payload.attr("node").empty()) return kItemNotFound;
  if (c.to.is_domain()) {
    q.add_child("identity").set_attr("category", "server").set_attr("type", "im").set_attr("name", "Convene");
    for (auto f : {kDiscoInfoNs, kDiscoItemsNs, kPingNs, kSmNs, kRosterNs, kDelayNs})
      q.add_child("feature").set_attr("var", f);
  } else {
    if (!c.server.store.user_exists(c.to.local())) return kServiceUnavailable;
    q.add_child("identity").set_attr("category", "account").set_attr("type", "registered");
    q.add_child("feature").set_attr("var", kDiscoInfoNs);
  }
  return std::nullopt;
}

std::optional<StanzaError> disco_items(IqContext& c) {
  if (c.iq.attr("type") != "get") return kBadRequest;
  auto& q = c.reply.add_child("query", kDiscoItemsNs);
  if (c.to.is_domain()) {
    for (const auto& cb : c.server.store.callbridges())
      q.add_child("item").set_attr("jid", cb.name + "." + c.server.settings.domain).set_attr("name", cb.name);
  }
  return std::nullopt;
}

std::optional<StanzaError> ping(IqContext& c) {
  if (c.iq.attr("type") != "get") return kBadRequest;
  return std::nullopt;
}

std::optional<StanzaError> session(IqContext& c) { return std::nullopt; }

struct Entry {
  std::string_view ns;
  IqHandler handler;
};
constexpr Entry kHandlers[] = {
    {kDiscoInfoNs, disco_info},
    {kDiscoItemsNs, disco_items},
    {kPingNs, ping},
    {kSessionNs, session},
};

// Builds the reply into `doc`; returns its root.
xml::Element& answer(Server& server, const Jid& from, const Jid& to, const xml::Element& iq, xml::Document& doc) {
  auto& reply = doc.create_element("iq", kClientNs);
  if (auto id = iq.attr("id"); !id.empty()) reply.set_attr("id", id);
  reply.set_attr("from", to.full());
  reply.set_attr("to", from.full());
  reply.set_attr("type", "result");
  auto* payload = iq.first_child_element();
  std::optional<StanzaError> error = kServiceUnavailable;
  if (!payload) {
    error = kBadRequest;
  } else {
    for (const auto& e : kHandlers) {
      if (e.ns == payload->ns()) {
        IqContext ctx{server, to, iq, *payload, reply};
        error = e.handler(ctx);
        break;
      }
    }
  }
  if (error) {
    reply.clear_children();
    reply.set_attr("type", "error");
    auto& err = reply.add_child("error");
    err.set_attr("type", error->type);
    err.add_child(error->condition, kStanzasNs);
  }
  return reply;
}

}  // namespace

void handle_server_iq(ClientStream& s, xml::Element& iq, const Jid& to) {
  auto type = iq.attr("type");
  if (type == "result" || type == "error") return;  // e.g. answers to roster pushes
  auto* payload = iq.first_child_element();
  if (payload && payload->ns() == kRosterNs && payload->name() == "query" && to.bare_view() == s.jid().bare_view())
    return handle_roster_iq(s, iq);
  xml::Document doc;
  auto& reply = answer(s.server(), s.jid(), to, iq, doc);
  s.deliver_element(reply);
}

void handle_server_iq_remote(Server& server, const Jid& from, const Jid& to, xml::Element& iq) {
  auto type = iq.attr("type");
  if (type == "result" || type == "error") return;
  xml::Document doc;
  auto& reply = answer(server, from, to, iq, doc);
  route(server, to, from, reply, {});
}

}  // namespace convene::xmpp
