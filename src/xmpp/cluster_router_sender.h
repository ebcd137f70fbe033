#pragma once
// What a member may say to the cluster router (cluster_router.h). Members are
// authenticated by the consensus layer (cluster/peer_identity.h: the id a message
// comes from is the sender's), but a member may still only speak for itself:
// - registry changes and whole lists of node N come from N itself, or from the
//   leader passing them on; a node registers (register_node) only itself; only
//   the leader frees another node's call bridge (bridge_freed);
// - a stanza to relay comes from its origin, a delivery from the leader (or the
//   origin itself when it leads), a confirmation from the node that delivered;
// - a delivered stanza's `from` must not be a session or call bridge that the
//   registry places on another node than its origin (or here): a member cannot
//   speak as another node's users (checked in cluster_router_relay.cpp with
//   stanza_from below).
// Pure functions, any thread; stanza_from reads untrusted bytes (fuzzable).
#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "xmpp/cluster_wire.h"

namespace convene::xmpp {

// True when member `from` may send `m`, `leader` being the leader as this node sees it.
bool may_send(const RouterMessage& m, std::uint64_t from, std::uint64_t leader);

// Whether member `origin` may still speak for a call bridge that member `holder`
// holds now (0: this node; nothing: nobody): it holds it, or held it until
// `window` ago (`former`: when each member last stopped holding it). Why: what a
// bridge sent through its node while it held the name (a room's messages to its
// occupants) is resent by that node until confirmed, and may arrive after the
// name moved (a standby yielding to the bridge's own instance); refused, it never
// reached its occupants.
bool may_speak_for_bridge(std::optional<std::uint64_t> holder,
                          const std::map<std::uint64_t, std::chrono::steady_clock::time_point>& former,
                          std::uint64_t origin, std::chrono::steady_clock::time_point now,
                          std::chrono::steady_clock::duration window);

// Whether the sender of a forwarded stanza, which `holder` places (0: this node;
// nothing: nowhere), is the stanza's origin's to speak for. This node's own
// stanzas come back to it through the leader when their target moved here while
// this node's copy still placed it elsewhere: its own users are its to speak for.
bool held_by_origin(std::optional<std::uint64_t> holder, std::uint64_t origin, std::uint64_t self);

// Whether a stanza another member forwarded for a user session, which `holder`
// places (0: this node; nothing: nowhere), is taken on here: delivered and
// confirmed. Only for a session held here. Any other stays unconfirmed, and its
// origin sends it again to wherever the session is then, or routes it itself
// (offline storage, another resource) once it is nowhere: the origin speaks for
// the stanza's sender, this node does not. Routed again from here, a stanza for a
// session that moved to a third node was refused there as from a user this node
// may not speak for, until this node gave up or died with it (seen in a chaos run:
// a node just restarted took five on that way and was killed 25 s later). Nor may
// a node that stops, or whose copy of the registry is not current, route them.
bool takes_on_forwarded(std::optional<std::uint64_t> holder);

// The `from` attribute of a stanza's start tag, its entities decoded: "" when
// it has none; nothing when the tag cannot be read plainly (malformed, `from`
// twice, a character reference), which the caller refuses.
std::optional<std::string> stanza_from(std::string_view stanza);

}  // namespace convene::xmpp
