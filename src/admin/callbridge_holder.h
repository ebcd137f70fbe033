#pragma once
// Who serves a call bridge's name now, and this node's standby for it, as status
// lines (`callbridge status`, `xmpp callbridge list`). Every answer derives from
// what this node sees at the moment it is asked: the XMPP service's session
// registry (the holder routing uses: this node, or which other member), the
// processes this node runs (its own call bridge, its standbys) and their own
// reports; "unknown" with the reason when the node cannot know.
//
// A holder on another node is named by its address; whether it is that node's own
// instance or its standby is known there (its `xmpp callbridge list`).
//
// Thread-safety: any thread (admin conversations).
#include <string>

namespace convene {

class Daemon;

// "this node, its own call bridge (pid 4242, from 127.0.1.1:40312)",
// "this node, its standby (pid 4243, from 127.0.1.2:40400)", "127.0.1.2:5222 (another
// node)", "nobody (no instance is connected anywhere in the cluster)" or
// "unknown (why)". `domain` is the XMPP domain the component name is under.
std::string describe_holder(Daemon& daemon, const std::string& name, const std::string& domain);

// This node's standby for `name`: "running (pid 4243), holds the name now, over TLS",
// "running (pid 4243), waiting: the name is held elsewhere", ... or "none: why".
std::string describe_standby(Daemon& daemon, const std::string& name);

}  // namespace convene
