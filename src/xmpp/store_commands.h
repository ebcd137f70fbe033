#pragma once
// Typed builders for the StoreCommands XmppState applies (xmpp_state.h lists the
// ops and their fields). Every writer builds its commands here, so a command's
// shape is written once and a misspelt op or field cannot reach the log.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "xmpp/store.h"

namespace convene::xmpp::cmd {

// {"op":"user.add"} and {"op":"user.passwd"}: both SCRAM credentials of a password.
StoreCommand user_add(std::string_view user, const ScramCredentials& sha1, const ScramCredentials& sha256);
StoreCommand user_passwd(std::string_view user, const ScramCredentials& sha1, const ScramCredentials& sha256);
StoreCommand user_del(std::string_view user);

StoreCommand roster_set(std::string_view user, const RosterItem& item);
StoreCommand roster_remove(std::string_view user, std::string_view jid);

// `to` is the bare JID the message was for; the table assumes the user's own when absent.
StoreCommand offline_push(std::string_view user, std::string stanza, std::int64_t stamp,
                          std::optional<std::string> to = std::nullopt);
// Drops the user's offline messages with id <= up_to.
StoreCommand offline_pop(std::string_view user, std::uint64_t up_to);

// `replace`: false refuses a different secret for an existing name.
StoreCommand callbridge_set(std::string_view name, std::string_view secret, bool replace);
StoreCommand callbridge_del(std::string_view name);

// A call bridge's space occupant came or went (space_occupants.h).
StoreCommand space_join(std::string_view bridge, const SpaceOccupant& occupant);
StoreCommand space_leave(std::string_view bridge, std::string_view space, std::string_view nick);

// Drops every user, roster, offline message and call-bridge secret.
StoreCommand reset();

}  // namespace convene::xmpp::cmd
