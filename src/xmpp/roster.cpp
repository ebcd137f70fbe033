// Rosters (RFC 6121 §2): get, set, remove, and pushes to every session of the user.
#include "util/random.h"
#include "xml/serializer.h"
#include "xmpp/c2s.h"
#include "xmpp/store_commands.h"
#include "xmpp/subscription.h"

namespace convene::xmpp {

namespace {

std::string result_bytes(std::string_view id, std::string_view to) {
  std::string s = "<iq type='result' id='";
  xml::escape_attr(id, s);
  s += "' to='";
  xml::escape_attr(to, s);
  s += "'/>";
  return s;
}

void send_presence(Server& server, const Jid& from, const Jid& to, std::string_view type) {
  xml::Document doc;
  auto& p = doc.create_element("presence", kClientNs);
  p.set_attr("type", type);
  p.set_attr("from", from.full());
  p.set_attr("to", to.full());
  route(server, from, to, p, {});
}
}  // namespace

void push_roster_item(Server& server, std::string_view user_bare, const RosterItem& item, bool removed) {
  xml::Document doc;
  auto& iq = doc.create_element("iq", kClientNs);
  iq.set_attr("type", "set");
  iq.set_attr("id", "push" + random_id(8));
  auto& q = iq.add_child("query", kRosterNs);
  if (removed) {
    q.add_child("item").set_attr("jid", item.jid).set_attr("subscription", "remove");
  } else {
    append_roster_item(q, item);
  }
  std::string out;
  for (auto& s : sessions_of(server, user_bare)) {
    iq.set_attr("to", s->jid().full());
    out.clear();
    xml::serialize(iq, out, {kClientNs, true});
    s->deliver(out);
  }
}

void handle_roster_iq(ClientStream& s, xml::Element& iq) {
  auto& server = s.server();
  const auto type = iq.attr("type");
  auto* query = iq.find_child("query", kRosterNs);
  if (type == "get") {
    auto items = server.store.roster(s.jid().local());
    s.reply_result(iq, [&](xml::Element& r) {
      auto& q = r.add_child("query", kRosterNs);
      for (const auto& item : items)
        if (visible_in_roster(item)) append_roster_item(q, item);
    });
    return;
  }
  if (type != "set") return;
  xml::Element* el = nullptr;
  int count = 0;
  for (auto& c : query->children()) {
    if (c.name() == "item") el = &c;
    ++count;
  }
  if (!el || count != 1) return s.reply_error(iq, kBadRequest);
  auto contact = Jid::parse(el->attr("jid"));
  if (!contact || contact->has_resource() || contact->bare_view() == s.jid().bare_view())
    return s.reply_error(iq, kBadRequest);
  const std::string user(s.jid().local());
  const Jid me = s.jid().bare();
  auto existing = server.store.roster_item(user, contact->full());
  std::string id(iq.attr("id"));
  std::string to = s.jid().full();
  auto* server_ptr = &server;
  auto self = std::static_pointer_cast<ClientStream>(s.shared_from_this());

  if (el->attr("subscription") == "remove") {
    if (!existing) return s.reply_error(iq, kItemNotFound);
    RosterItem item = *existing;
    Jid c = *contact;
    s.write_store({cmd::roster_remove(user, c.full())},
                  [server_ptr, self, item, c, me, id, to] {
                    push_roster_item(*server_ptr, me.full(), item, true);
                    self->deliver(result_bytes(id, to));
                    // §2.5.2: cancel both directions.
                    if (has_to(item.subscription) || item.ask_subscribe) send_presence(*server_ptr, me, c, "unsubscribe");
                    if (has_from(item.subscription) || item.pending_in) send_presence(*server_ptr, me, c, "unsubscribed");
                  });
    return;
  }
  RosterItem item = existing ? *existing : RosterItem{contact->full(), {}, Subscription::none, false, false, {}};
  item.name = std::string(el->attr("name"));
  item.groups.clear();
  for (auto& g : el->children())
    if (g.name() == "group") item.groups.emplace_back(g.text());
  s.write_store({roster_set_command(user, item)}, [server_ptr, self, item, me, id, to] {
    push_roster_item(*server_ptr, me.full(), item, false);
    self->deliver(result_bytes(id, to));
  });
}

}  // namespace convene::xmpp
