// Spaces: the moderators' and admins' use cases (XEP-0045 §8, §9): kick (role
// none: status 307), the affiliation lists (get), and changes to them (set): ban
// (outcast: removed with 301), membership granted or revoked (removed with 321 from a
// members-only space), admins and owners. Who may do what, as XEP-0045 says:
//  - kick: a moderator (here: admins and owners), never an admin or owner;
//  - member, outcast, none: admins and owners, never on an admin or owner unless an owner;
//  - admin, owner: owners only; the last owner cannot step down.
// A set is checked whole before anything changes, so a refused item changes nothing.
#include "callbridge/spaces.h"
#include "util/log.h"
#include "xml/serializer.h"
#include "xmpp_core/jid.h"
#include "xmpp_core/namespaces.h"

namespace convene::callbridge {

namespace {
constexpr auto attr = &xml::attribute;

struct Change {
  std::string nick;  // a kick
  std::string jid;   // an affiliation change (bare JID)
  Affiliation affiliation = Affiliation::none;
  std::string reason;
};
}  // namespace

void Spaces::on_admin(const xml::Element& stanza, const xml::Element& query, const std::string& room_name,
                      const Send& send) {
  if (!known_.contains(room_name)) return send(error_reply(stanza, "cancel", "item-not-found"));
  std::string from(stanza.attr("from"));
  Affiliation mine = affiliation(room_name, from);
  if (mine < Affiliation::admin)
    return send(error_reply(stanza, "auth", "forbidden", "Only admins and owners may do this"));
  const std::string admin_ns(kMucAdminNs);
  RoomSettings s = settings_of(room_name);

  if (stanza.attr("type") == "get") {
    auto* item = query.find_child("item");
    auto wanted = item ? parse_affiliation(item->attr("affiliation")) : std::nullopt;
    if (!wanted || *wanted == Affiliation::none)
      return send(error_reply(stanza, "modify", "bad-request", "Ask for one affiliation: owner, admin, member, outcast"));
    std::string out = "<query xmlns='" + admin_ns + "'>";
    for (auto& [jid, a] : s.affiliations)
      if (a == *wanted) out += "<item" + attr("affiliation", affiliation_name(a)) + attr("jid", jid) + "/>";
    return send(iq_result(stanza, out + "</query>"));
  }

  std::vector<Change> changes;
  auto room = rooms_.find(room_name);
  for (auto& item : query.children()) {
    if (item.name() != "item") continue;
    Change c;
    if (auto* r = item.find_child("reason")) c.reason = std::string(r->text());
    if (!item.attr("role").empty()) {
      if (item.attr("role") != "none")
        return send(error_reply(stanza, "cancel", "feature-not-implemented", "Only role 'none' (kick) is supported"));
      c.nick = std::string(item.attr("nick"));
      if (room == rooms_.end() || !room->second.by_nick.count(c.nick))
        return send(error_reply(stanza, "cancel", "item-not-found", "No occupant with that nick"));
      if (affiliation(room_name, room->second.by_nick[c.nick].jid) >= Affiliation::admin)
        return send(error_reply(stanza, "cancel", "not-allowed", "Admins and owners cannot be kicked"));
      changes.push_back(std::move(c));
      continue;
    }
    auto a = parse_affiliation(item.attr("affiliation"));
    auto jid = xmpp::Jid::parse(item.attr("jid"));
    if (!a || !jid) return send(error_reply(stanza, "modify", "bad-request", "An item needs a jid and an affiliation"));
    c.jid = jid->bare().full();
    c.affiliation = *a;
    Affiliation now = s.affiliation_of(c.jid);
    bool owner_only = c.affiliation >= Affiliation::admin || now >= Affiliation::admin;
    if (owner_only && mine != Affiliation::owner)
      return send(error_reply(stanza, "auth", "forbidden", "Only an owner may change admins and owners"));
    changes.push_back(std::move(c));
  }
  if (changes.empty()) return send(error_reply(stanza, "modify", "bad-request", "No item"));

  RoomSettings next = s;
  for (auto& c : changes) {
    if (c.jid.empty()) continue;
    if (c.affiliation == Affiliation::none) next.affiliations.erase(c.jid);
    else next.affiliations[c.jid] = c.affiliation;
  }
  bool has_owner = false;
  for (auto& [jid, a] : next.affiliations) has_owner |= a == Affiliation::owner;
  bool had_owner = false;
  for (auto& [jid, a] : s.affiliations) had_owner |= a == Affiliation::owner;
  if (had_owner && !has_owner) return send(error_reply(stanza, "cancel", "conflict", "A space keeps at least one owner"));
  if (next != s && !save_settings(room_name, next)) return send(error_reply(stanza, "wait", "internal-server-error"));
  send(iq_result(stanza, ""));

  // What it means for those in the room now.
  for (auto& c : changes) {
    room = rooms_.find(room_name);
    if (room == rooms_.end()) break;
    if (!c.nick.empty()) {
      remove_occupant(room_name, c.nick, 307, send);
      continue;
    }
    std::vector<std::string> affected;
    for (auto& [nick, occ] : room->second.by_nick) {
      auto jid = xmpp::Jid::parse(occ.jid);
      if (jid && jid->bare().full() == c.jid) affected.push_back(nick);
    }
    for (auto& nick : affected) {
      if (c.affiliation == Affiliation::outcast) remove_occupant(room_name, nick, 301, send);
      else if (next.config.members_only && c.affiliation == Affiliation::none) remove_occupant(room_name, nick, 321, send);
      else
        for (auto& [n, occ] : room->second.by_nick)
          send(presence_from(room_name, nick, room->second.by_nick[nick], occ.jid, {}));
    }
  }
  drop_if_temporary_and_empty(room_name, send);
  logger("callbridge")->info("space {}: {} change(s) by {}", room_name, changes.size(), from);
}

}  // namespace convene::callbridge
