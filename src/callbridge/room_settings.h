#pragma once
// What a meeting space keeps besides its name: the owner's configuration
// (XEP-0045 §10.2, form muc#roomconfig), the affiliations (§5.2: owner, admin,
// member, outcast, by bare JID), the subject, and whether the room is still locked
// awaiting its first configuration (§10.1.2: created by a join, status 201).
//
// Kept in the space's store as one JSON document per space (SpaceStore::settings),
// so a standby bridge and `mmp` see what the owner set. A space without a stored
// document (made before these settings, or by the operator) has the defaults below,
// no owner and is not locked.
//
// Pure values: no I/O, no threads.
#include <map>
#include <string>

#include "util/result.h"
#include "xml/element.h"

namespace convene::callbridge {

enum class Affiliation { none, outcast, member, admin, owner };
std::string_view affiliation_name(Affiliation a);
// Parses "owner", "admin", "member", "outcast", "none"; nullopt otherwise.
std::optional<Affiliation> parse_affiliation(std::string_view text);

struct RoomConfig {
  std::string name;         // muc#roomconfig_roomname (empty: the space's name is shown)
  std::string description;  // muc#roomconfig_roomdesc
  bool persistent = true;   // muc#roomconfig_persistentroom: false removes the space when its last occupant leaves
  bool members_only = false;
  bool password_protected = false;
  std::string password;  // muc#roomconfig_roomsecret (never shown in disco)
  int max_users = 0;     // muc#roomconfig_maxusers; 0: no limit
  bool non_anonymous = false;  // muc#roomconfig_whois: "anyone" (true) or "moderators"
  bool operator==(const RoomConfig&) const = default;
};

struct RoomSettings {
  RoomConfig config;
  std::map<std::string, Affiliation> affiliations;  // bare JID → affiliation (never `none`)
  std::string subject;
  std::string subject_by;  // the nick that set it
  bool locked = false;

  Affiliation affiliation_of(const std::string& bare_jid) const;
  bool operator==(const RoomSettings&) const = default;
};

std::string settings_to_json(const RoomSettings& settings);
Result<RoomSettings> settings_from_json(const std::string& text);

// The configuration form (type='form') with the current values, as <x xmlns='jabber:x:data'>.
std::string config_form(const RoomConfig& config);

// Applies a submitted form (type='submit') to `config`. An unknown field, a value of
// the wrong kind or a password-protected room without a password is an error naming
// the field (the caller answers bad-request/not-acceptable and changes nothing).
// A submit with no fields (the instant room of §10.1.2) leaves `config` as it is.
Status apply_config_form(const xml::Element& x, RoomConfig& config);

}  // namespace convene::callbridge
