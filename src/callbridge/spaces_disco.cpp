// Spaces: discovery (XEP-0030, XEP-0045 §6) and self-ping (XEP-0410).
//  - disco#info on the bridge: the conference service; on a space: its identity
//    (its configured name) and the features its configuration gives it, with a
//    muc#roominfo form (description, occupants); an unknown space: item-not-found.
//  - disco#items on the bridge: every space, named; on a space: nothing (occupants
//    are not listed, so a semi-anonymous space stays so).
//  - a ping to space@bridge/nick is answered by the bridge: a result when the sender
//    is an occupant of the space, not-acceptable when it is not (its client then
//    knows it must join again).
#include "callbridge/spaces.h"
#include "xml/serializer.h"
#include "xmpp_core/jid.h"
#include "xmpp_core/namespaces.h"

namespace convene::callbridge {

namespace {
constexpr auto attr = &xml::attribute;
constexpr std::string_view kSelfPingFeature = "http://jabber.org/protocol/muc#self-ping-optimization";

std::string feature(std::string_view var) { return "<feature" + attr("var", var) + "/>"; }
}  // namespace

void Spaces::on_disco_info(const xml::Element& stanza, const Send& send) {
  auto to = xmpp::Jid::parse(stanza.attr("to"));
  std::string out = "<query xmlns='" + std::string(xmpp::kDiscoInfoNs) + "'>";
  if (!to->has_local()) {
    out += "<identity category='conference' type='text' name='Meeting spaces'/>";
    for (auto ns : {xmpp::kMucNs, xmpp::kDiscoInfoNs, xmpp::kDiscoItemsNs, xmpp::kPingNs}) out += feature(ns);
    return send(iq_result(stanza, out + "</query>"));
  }
  std::string room_name(to->local());
  if (!known_.contains(room_name)) return send(error_reply(stanza, "cancel", "item-not-found"));
  RoomSettings s = settings_of(room_name);
  const RoomConfig& c = s.config;
  out += "<identity category='conference' type='text'" + attr("name", c.name.empty() ? room_name : c.name) + "/>";
  for (auto ns : {xmpp::kMucNs, xmpp::kDiscoInfoNs, xmpp::kPingNs, kSelfPingFeature}) out += feature(ns);
  out += feature(c.persistent ? "muc_persistent" : "muc_temporary");
  out += feature(c.members_only ? "muc_membersonly" : "muc_open");
  out += feature(c.password_protected ? "muc_passwordprotected" : "muc_unsecured");
  out += feature(c.non_anonymous ? "muc_nonanonymous" : "muc_semianonymous");
  out += feature("muc_unmoderated");
  out += feature("muc_public");
  int occupants = 0;
  if (auto room = rooms_.find(room_name); room != rooms_.end()) occupants = static_cast<int>(room->second.by_nick.size());
  out += "<x xmlns='jabber:x:data' type='result'><field var='FORM_TYPE' type='hidden'>"
         "<value>http://jabber.org/protocol/muc#roominfo</value></field>";
  out += "<field var='muc#roominfo_description'><value>";
  xml::escape_text(c.description, out);
  out += "</value></field><field var='muc#roominfo_occupants'><value>" + std::to_string(occupants) +
         "</value></field><field var='muc#roominfo_subject'><value>";
  xml::escape_text(s.subject, out);
  out += "</value></field></x>";
  send(iq_result(stanza, out + "</query>"));
}

void Spaces::on_disco_items(const xml::Element& stanza, const Send& send) {
  auto to = xmpp::Jid::parse(stanza.attr("to"));
  std::string out = "<query xmlns='" + std::string(xmpp::kDiscoItemsNs) + "'>";
  if (to->has_local()) {
    if (!known_.contains(std::string(to->local()))) return send(error_reply(stanza, "cancel", "item-not-found"));
    return send(iq_result(stanza, out + "</query>"));
  }
  for (auto& [name, since] : known_) {
    auto s = settings_.find(name);
    std::string shown = s != settings_.end() && !s->second.config.name.empty() ? s->second.config.name : name;
    out += "<item" + attr("jid", room_jid(name)) + attr("name", shown) + "/>";
  }
  send(iq_result(stanza, out + "</query>"));
}

void Spaces::on_self_ping(const xml::Element& stanza, const Send& send) {
  auto to = xmpp::Jid::parse(stanza.attr("to"));
  std::string room_name(to->local());
  if (nick_of(room_name, std::string(stanza.attr("from"))).empty())
    return send(error_reply(stanza, "modify", "not-acceptable", "You are not an occupant of this space"));
  auto room = rooms_.find(room_name);
  if (!room->second.by_nick.count(std::string(to->resource())))
    return send(error_reply(stanza, "cancel", "item-not-found"));
  send(iq_result(stanza, ""));
}

}  // namespace convene::callbridge
