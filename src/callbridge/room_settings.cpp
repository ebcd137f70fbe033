#include "callbridge/room_settings.h"

#include <nlohmann/json.hpp>

#include "xml/serializer.h"

namespace convene::callbridge {

namespace {
constexpr std::string_view kDataNs = "jabber:x:data";
constexpr std::string_view kRoomConfigType = "http://jabber.org/protocol/muc#roomconfig";

std::string field(std::string_view var, std::string_view type, std::string_view label, const std::string& value) {
  std::string out = "<field" + xml::attribute("var", var) + xml::attribute("type", type) + xml::attribute("label", label);
  out += "><value>";
  xml::escape_text(value, out);
  out += "</value>";
  if (var == "muc#roomconfig_whois")
    out += "<option label='Moderators only'><value>moderators</value></option>"
           "<option label='Anyone'><value>anyone</value></option>";
  return out + "</field>";
}

std::string boolean(bool b) { return b ? "1" : "0"; }

Result<bool> parse_boolean(std::string_view var, std::string_view v) {
  if (v == "1" || v == "true") return true;
  if (v == "0" || v == "false") return false;
  return make_error("field " + std::string(var) + ": '" + std::string(v) + "' is not a boolean (0, 1, true, false)");
}
}  // namespace

std::string_view affiliation_name(Affiliation a) {
  switch (a) {
    case Affiliation::owner: return "owner";
    case Affiliation::admin: return "admin";
    case Affiliation::member: return "member";
    case Affiliation::outcast: return "outcast";
    case Affiliation::none: break;
  }
  return "none";
}

std::optional<Affiliation> parse_affiliation(std::string_view text) {
  for (auto a : {Affiliation::none, Affiliation::outcast, Affiliation::member, Affiliation::admin, Affiliation::owner})
    if (affiliation_name(a) == text) return a;
  return std::nullopt;
}

Affiliation RoomSettings::affiliation_of(const std::string& bare_jid) const {
  auto it = affiliations.find(bare_jid);
  return it == affiliations.end() ? Affiliation::none : it->second;
}

std::string settings_to_json(const RoomSettings& s) {
  nlohmann::json affiliations = nlohmann::json::object();
  for (auto& [jid, a] : s.affiliations) affiliations[jid] = affiliation_name(a);
  nlohmann::json j{{"name", s.config.name},
                   {"description", s.config.description},
                   {"persistent", s.config.persistent},
                   {"members_only", s.config.members_only},
                   {"password_protected", s.config.password_protected},
                   {"password", s.config.password},
                   {"max_users", s.config.max_users},
                   {"non_anonymous", s.config.non_anonymous},
                   {"affiliations", affiliations},
                   {"subject", s.subject},
                   {"subject_by", s.subject_by},
                   {"locked", s.locked}};
  return j.dump();
}

Result<RoomSettings> settings_from_json(const std::string& text) {
  auto j = nlohmann::json::parse(text, nullptr, false);
  if (!j.is_object()) return make_error("space settings are not a JSON object");
  RoomSettings s;
  try {
    s.config.name = j.value("name", "");
    s.config.description = j.value("description", "");
    s.config.persistent = j.value("persistent", true);
    s.config.members_only = j.value("members_only", false);
    s.config.password_protected = j.value("password_protected", false);
    s.config.password = j.value("password", "");
    s.config.max_users = j.value("max_users", 0);
    s.config.non_anonymous = j.value("non_anonymous", false);
    const nlohmann::json affiliations = j.value("affiliations", nlohmann::json::object());
    for (auto& [jid, a] : affiliations.items()) {
      auto parsed = parse_affiliation(a.get<std::string>());
      if (parsed && *parsed != Affiliation::none) s.affiliations[jid] = *parsed;
    }
    s.subject = j.value("subject", "");
    s.subject_by = j.value("subject_by", "");
    s.locked = j.value("locked", false);
  } catch (const nlohmann::json::exception& e) {
    return make_error(std::string("space settings: ") + e.what());
  }
  return s;
}

std::string config_form(const RoomConfig& c) {
  std::string out = "<x xmlns='jabber:x:data' type='form'><title>Meeting space configuration</title>";
  out += "<field var='FORM_TYPE' type='hidden'><value>" + std::string(kRoomConfigType) + "</value></field>";
  out += field("muc#roomconfig_roomname", "text-single", "Name", c.name);
  out += field("muc#roomconfig_roomdesc", "text-single", "Description", c.description);
  out += field("muc#roomconfig_persistentroom", "boolean", "Persistent", boolean(c.persistent));
  out += field("muc#roomconfig_membersonly", "boolean", "Members only", boolean(c.members_only));
  out += field("muc#roomconfig_passwordprotectedroom", "boolean", "Password protected", boolean(c.password_protected));
  out += field("muc#roomconfig_roomsecret", "text-private", "Password", c.password);
  out += field("muc#roomconfig_maxusers", "text-single", "Maximum occupants (0: no limit)", std::to_string(c.max_users));
  out += field("muc#roomconfig_whois", "list-single", "Who may see real JIDs",
               c.non_anonymous ? "anyone" : "moderators");
  return out + "</x>";
}

Status apply_config_form(const xml::Element& x, RoomConfig& config) {
  RoomConfig next = config;
  for (auto& f : x.children()) {
    if (f.name() != "field") continue;
    std::string var(f.attr("var"));
    std::string value;
    if (auto* v = f.find_child("value")) value = std::string(v->text());
    if (var == "FORM_TYPE") {
      if (value != kRoomConfigType) return make_error("FORM_TYPE must be " + std::string(kRoomConfigType));
    } else if (var == "muc#roomconfig_roomname") {
      next.name = value;
    } else if (var == "muc#roomconfig_roomdesc") {
      next.description = value;
    } else if (var == "muc#roomconfig_persistentroom") {
      {
        auto b = parse_boolean(var, value);
        if (!b) return b.error();
        next.persistent = *b;
      }
    } else if (var == "muc#roomconfig_membersonly") {
      {
        auto b = parse_boolean(var, value);
        if (!b) return b.error();
        next.members_only = *b;
      }
    } else if (var == "muc#roomconfig_passwordprotectedroom") {
      {
        auto b = parse_boolean(var, value);
        if (!b) return b.error();
        next.password_protected = *b;
      }
    } else if (var == "muc#roomconfig_roomsecret") {
      next.password = value;
    } else if (var == "muc#roomconfig_maxusers") {
      int n = -1;
      try {
        std::size_t used = 0;
        n = std::stoi(value, &used);
        if (used != value.size()) n = -1;
      } catch (...) {
      }
      if (n < 0 || n > 100000) return make_error("field " + var + ": '" + value + "' is not a number from 0 to 100000");
      next.max_users = n;
    } else if (var == "muc#roomconfig_whois") {
      if (value != "anyone" && value != "moderators")
        return make_error("field " + var + ": '" + value + "' is neither 'anyone' nor 'moderators'");
      next.non_anonymous = value == "anyone";
    } else {
      return make_error("unknown field '" + var + "'");
    }
  }
  if (next.password_protected && next.password.empty())
    return make_error("a password-protected space needs muc#roomconfig_roomsecret");
  config = std::move(next);
  return ok_status();
}

}  // namespace convene::callbridge
