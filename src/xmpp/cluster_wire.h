#pragma once
// The messages XMPP cluster nodes exchange (cluster_router.h): the session
// registry and forwarded stanzas. Binary (cluster/wire.h) rather than JSON:
// forwarded stanzas are XML and would otherwise be escaped and unescaped on
// every hop. Pure data and codec; any thread.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace convene::xmpp {

enum class RouterMessageType : std::uint8_t {
  session_up = 1,      // node's session `sessions[0]` bound or changed presence
  session_down = 2,    // node's session `jid` ended
  node_sessions = 3,   // every session and component of `node` (replaces what was known)
  component_up = 4,    // call bridge `jid` (its domain) connected to `node`
  component_down = 5,  // ... disconnected
  relay = 6,           // origin → leader: deliver `stanza` to `jid` on `target_node`
  deliver = 7,         // leader → target node: deliver `stanza` to `jid`, then confirm to the origin
  delivered = 8,       // target → origin: (incarnation, seq) delivered
  register_node = 9,   // as node_sessions, sent by `node` itself to the (new) leader, which answers
                       // with its whole registry and passes the list on as node_sessions
  delivered_many = 10, // target → origin: (incarnation, each of `seqs`) delivered; only to an origin
                       // whose stanzas said it reads this (kReadsDeliveredMany)
  bridge_freed = 11,   // leader → all: `node` was silent, its call bridge `jid` is free for a standby
  // (a new type goes last: decode_router_message refuses any number past bridge_freed)
};

// In the `components` of a relay or deliver (where older nodes ignore it): its
// origin reads delivered_many, so the stanzas of one read can be confirmed in one
// message rather than one each (older origins cannot decode it, and get
// `delivered` as before).
inline constexpr std::string_view kReadsDeliveredMany = "delivered_many";  // short: no allocation

struct SessionEntry {
  std::string jid;  // full JID
  bool available = false;
  std::int32_t priority = 0;
  std::string presence;  // last available presence, raw
  bool operator==(const SessionEntry&) const = default;
};

struct RouterMessage {
  RouterMessageType type = RouterMessageType::session_up;
  std::uint64_t node = 0;  // whose session/component, or the origin of a stanza
  std::uint64_t incarnation = 0, seq = 0;
  std::uint64_t target_node = 0;
  std::string jid;
  std::vector<SessionEntry> sessions;
  std::vector<std::string> components;
  std::string stanza;
  std::vector<std::uint64_t> seqs;  // delivered_many only
  bool operator==(const RouterMessage&) const = default;
};

std::string encode(const RouterMessage& m);
std::optional<RouterMessage> decode_router_message(std::string_view bytes);

}  // namespace convene::xmpp
