#include "xmpp/store_commands.h"

#include "xmpp/xmpp_state.h"

namespace convene::xmpp::cmd {

namespace {

StoreCommand user_command(const char* op, std::string_view user, const ScramCredentials& sha1,
                          const ScramCredentials& sha256) {
  return {{"op", op},
          {"user", std::string(user)},
          {"sha1", encode_credentials(sha1)},
          {"sha256", encode_credentials(sha256)}};
}

}  // namespace

StoreCommand user_add(std::string_view user, const ScramCredentials& sha1, const ScramCredentials& sha256) {
  return user_command("user.add", user, sha1, sha256);
}

StoreCommand user_passwd(std::string_view user, const ScramCredentials& sha1, const ScramCredentials& sha256) {
  return user_command("user.passwd", user, sha1, sha256);
}

StoreCommand user_del(std::string_view user) { return {{"op", "user.del"}, {"user", std::string(user)}}; }

StoreCommand roster_set(std::string_view user, const RosterItem& item) {
  return {{"op", "roster.set"},
          {"user", std::string(user)},
          {"item",
           {{"jid", item.jid},
            {"name", item.name},
            {"subscription", std::string(subscription_name(item.subscription))},
            {"ask", item.ask_subscribe},
            {"pending_in", item.pending_in},
            {"groups", item.groups}}}};
}

StoreCommand roster_remove(std::string_view user, std::string_view jid) {
  return {{"op", "roster.remove"}, {"user", std::string(user)}, {"jid", std::string(jid)}};
}

StoreCommand offline_push(std::string_view user, std::string stanza, std::int64_t stamp, std::optional<std::string> to) {
  StoreCommand c = {{"op", "offline.push"}, {"user", std::string(user)}, {"stanza", std::move(stanza)}, {"stamp", stamp}};
  if (to) c["to"] = std::move(*to);
  return c;
}

StoreCommand offline_pop(std::string_view user, std::uint64_t up_to) {
  return {{"op", "offline.pop"}, {"user", std::string(user)}, {"up_to", up_to}};
}

StoreCommand callbridge_set(std::string_view name, std::string_view secret, bool replace) {
  return {{"op", "callbridge.set"}, {"name", std::string(name)}, {"secret", std::string(secret)}, {"replace", replace}};
}

StoreCommand space_join(std::string_view bridge, const SpaceOccupant& o) {
  return {{"op", "space.join"}, {"bridge", std::string(bridge)}, {"space", o.space},
          {"nick", o.nick},      {"jid", o.jid},                   {"presence", o.presence}};
}

StoreCommand space_leave(std::string_view bridge, std::string_view space, std::string_view nick) {
  return {{"op", "space.leave"}, {"bridge", std::string(bridge)}, {"space", std::string(space)},
          {"nick", std::string(nick)}};
}

StoreCommand callbridge_del(std::string_view name) { return {{"op", "callbridge.del"}, {"name", std::string(name)}}; }

StoreCommand reset() { return {{"op", "reset"}}; }

}  // namespace convene::xmpp::cmd
