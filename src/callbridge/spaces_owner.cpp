// Spaces: the owner's use cases (XEP-0045 §10): the configuration form (get: the
// form with the current values; set: a submitted form, or an empty submit for an
// instant room, which also unlocks a space created by a join), and destruction.
// Only owners (affiliation, by bare JID) may do any of it: others get forbidden.
#include "callbridge/spaces.h"
#include "util/log.h"
#include "xml/serializer.h"
#include "xmpp_core/jid.h"
#include "xmpp_core/namespaces.h"

namespace convene::callbridge {

namespace {
constexpr auto attr = &xml::attribute;
}

void Spaces::on_owner(const xml::Element& stanza, const xml::Element& query, const std::string& room_name,
                      const Send& send) {
  if (!known_.contains(room_name)) return send(error_reply(stanza, "cancel", "item-not-found"));
  std::string from(stanza.attr("from"));
  if (affiliation(room_name, from) != Affiliation::owner)
    return send(error_reply(stanza, "auth", "forbidden", "Only an owner may configure or destroy this space"));
  const std::string owner_ns(kMucOwnerNs);
  if (stanza.attr("type") == "get") {
    return send(iq_result(stanza, "<query xmlns='" + owner_ns + "'>" + config_form(settings_of(room_name).config) +
                                      "</query>"));
  }
  if (auto* destroy_el = query.find_child("destroy")) {
    std::string reason;
    if (auto* r = destroy_el->find_child("reason")) reason = std::string(r->text());
    auto st = destroy(room_name, reason, send);
    if (!st) return send(error_reply(stanza, "wait", "internal-server-error"));
    return send(iq_result(stanza, ""));
  }
  auto* x = query.find_child("x", kDataFormsNs);
  if (!x) return send(error_reply(stanza, "modify", "bad-request", "Expected a jabber:x:data form or <destroy/>"));
  RoomSettings s = settings_of(room_name);
  if (x->attr("type") == "cancel") {
    // Cancelling the first configuration of a new space destroys it (§10.1.3); later, nothing changes.
    if (s.locked) (void)destroy(room_name, "", send);
    return send(iq_result(stanza, ""));
  }
  if (x->attr("type") != "submit") return send(error_reply(stanza, "modify", "bad-request", "The form's type must be submit"));
  bool was_non_anonymous = s.config.non_anonymous;
  auto applied = apply_config_form(*x, s.config);
  if (!applied) return send(error_reply(stanza, "modify", "bad-request", applied.error().message));
  bool was_locked = s.locked;
  s.locked = false;
  if (!save_settings(room_name, s)) return send(error_reply(stanza, "wait", "internal-server-error"));
  send(iq_result(stanza, ""));
  logger("callbridge")->info("space {} configured by {}{}", room_name, from, was_locked ? " (unlocked)" : "");
  // Occupants hear that the configuration changed (104), and about anonymity (172/173).
  auto room = rooms_.find(room_name);
  if (room == rooms_.end() || was_locked) return;
  std::string codes = "<status code='104'/>";
  if (s.config.non_anonymous != was_non_anonymous)
    codes += s.config.non_anonymous ? "<status code='172'/>" : "<status code='173'/>";
  for (auto& [n, occ] : room->second.by_nick)
    send("<message" + attr("from", room_jid(room_name)) + attr("to", occ.jid) + " type='groupchat'><x xmlns='" +
         std::string(xmpp::kMucUserNs) + "'>" + codes + "</x></message>");
}

Status Spaces::destroy(const std::string& room_name, const std::string& reason, const Send& send) {
  if (!known_.contains(room_name)) return make_error("no space named " + room_name);
  flush_history();  // the space's own entries go with it; the others' are kept
  auto st = store_.remove(room_name);
  if (!st) {
    logger("callbridge")->error("space {}: {}", room_name, st.error().text());
    return st;
  }
  std::string destroy_el = "<destroy>";
  if (!reason.empty()) {
    destroy_el += "<reason>";
    xml::escape_text(reason, destroy_el);
    destroy_el += "</reason>";
  }
  destroy_el += "</destroy>";
  if (auto room = rooms_.find(room_name); room != rooms_.end()) {
    for (auto& [nick, occ] : room->second.by_nick) {
      record_leave(room_name, nick, send);
      send("<presence" + attr("from", room_jid(room_name) + "/" + nick) + attr("to", occ.jid) +
           " type='unavailable'><x xmlns='" + std::string(xmpp::kMucUserNs) +
           "'><item affiliation='none' role='none'/>" + destroy_el + "</x></presence>");
    }
    rooms_.erase(room);
  }
  for (auto it = pending_joins_.begin(); it != pending_joins_.end();) {
    if (it->second.room != room_name) {
      ++it;
      continue;
    }
    if (!it->second.rejoin) {  // a rejoiner is an occupant: told above
      record_leave(room_name, it->second.nick, send);
      fail_join(it->second, send);
    }
    it = pending_joins_.erase(it);
  }
  forget(room_name);
  settings_.erase(room_name);
  history_.erase(room_name);
  history_reading_.erase(room_name);
  logger("callbridge")->info("space {} destroyed", room_name);
  return ok_status();
}

}  // namespace convene::callbridge
