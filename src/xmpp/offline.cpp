// Offline storage (RFC 6121 §8.5.2.1.1, XEP-0160): chat and normal messages to a
// user with no available session are kept in the store and delivered at the next
// available presence of non-negative priority, stamped with XEP-0203 <delay/>.
#include <algorithm>
#include <ctime>
#include <span>

#include "xml/serializer.h"
#include "xmpp/c2s.h"
#include "xmpp/store_commands.h"
#include "xmpp/undeliverable.h"

namespace convene::xmpp {

void store_offline(Server& server, const Jid& to, const xml::Element& stanza, std::string_view raw,
                   std::string_view from) {
  std::string bytes;
  write_stanza(stanza, raw, from, to.full(), bytes);
  StoreCommand push = cmd::offline_push(to.local(), bytes, static_cast<int64_t>(std::time(nullptr)));
  // The sender was acknowledged (XEP-0198) before the store answered: a write the
  // store refuses (a cluster member cut off from its leader, a full disk) goes back
  // to the sender as an error rather than vanishing. A write that failed by timing
  // out may still be committed later: then the user gets it and the sender an error.
  ++server.handing_on;  // a stopping service waits for it (server.h)
  server.store.submit(std::move(push), [&server, bytes](Status st) {
    --server.handing_on;
    if (!st)
      bounce_undeliverable(server, bytes, kRecipientUnavailable, "could not be stored offline: " + st.error().message);
  });
}

namespace {
// The stored stanza with <delay/> as its last child.
std::string with_delay(const std::string& stanza, std::string_view domain, int64_t stamp) {
  std::string delay = "<delay xmlns='" + std::string(kDelayNs) + "' from='";
  xml::escape_attr(domain, delay);
  delay += "' stamp='" + xmpp_timestamp(stamp) + "'>Offline Storage</delay>";
  if (stanza.ends_with("/>") && stanza.find('>') == stanza.size() - 1) {
    // <message .../>: open it up
    std::string out = stanza.substr(0, stanza.size() - 2);
    return out + ">" + delay + "</message>";
  }
  auto close = stanza.rfind("</");
  if (close == std::string::npos) return stanza;
  std::string out = stanza;
  out.insert(close, delay);
  return out;
}
}  // namespace

// At the session's initial presence, and again whenever a message is stored
// offline for its user afterwards (offline_stored): what it delivered already and
// whose pop is not applied yet is skipped (offline_delivered()).
void deliver_offline(ClientStream& s) {
  auto& server = s.server();
  auto messages = server.store.offline_messages(s.jid().local());
  uint64_t& last = s.offline_delivered();
  size_t delivered = 0;
  for (const auto& m : messages) {
    if (m.id <= last) continue;
    s.deliver(with_delay(m.stanza, server.settings.domain, m.stamp));
    last = m.id;
    ++delivered;
  }
  if (!delivered) return;
  StoreCommand pop = cmd::offline_pop(s.jid().local(), last);
  s.write_store({std::move(pop)}, {});
  server.log->info("delivered {} offline message(s) to {}", delivered, s.jid().full());
}

// A message is stored offline when the node routing it finds no available session
// of its user. In a cluster that node's copy of the registry may lack a session
// that another node bound a moment ago, whose initial presence then found nothing
// stored yet: without this the message waited for the user's next login.
void offline_stored(Server& server, const std::string& user) {
  server.registry.with_sessions(user + "@" + server.settings.domain,
                                [](std::span<const std::shared_ptr<Session>> sessions) {
                                  for (auto& s : sessions)
                                    if (s->node() == 0) s->offline_stored();  // the node holding it delivers
                                });
}

}  // namespace convene::xmpp
