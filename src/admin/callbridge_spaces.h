#pragma once
// The meeting spaces as the operator sees them, read from their store (the call
// bridge's SQLite file on this node, or the database cluster's tables when the node
// is in one: the same SpaceStore the bridge follows). `callbridge space list` and
// the web admin (the CMS API's coSpaces, the Spaces page) both read through here,
// so the three show the same spaces; changes go through the `callbridge space`
// commands only.
#include <memory>
#include <string>
#include <vector>

#include "callbridge/space_store.h"
#include "util/result.h"

namespace convene {

class Daemon;

struct SpaceSummary {
  std::string address;          // the part before @: "weekly" for weekly@cb1.<domain>
  std::string configured_name;  // the room settings' name (muc#roomconfig_roomname); empty: none
  std::vector<std::string> owners;  // bare JIDs
  bool locked = false;          // a client created it and has not configured it yet
  // Who is in it ("Nick (user@domain/resource)"), as the XMPP service recorded them
  // for this node's call bridge name (xmpp/space_occupants.h).
  std::vector<std::string> occupants;
};

// The store, or an error saying what to set up first.
Result<std::unique_ptr<callbridge::SpaceStore>> open_space_store(Daemon& daemon);

// True once the node has a call bridge directory (or is in a database cluster):
// before that there are no spaces, and listing them is not an error.
bool spaces_store_exists(Daemon& daemon);

// A space's address from what the operator typed (XMPP localpart preparation), or
// an error naming the text.
Result<std::string> space_name(const std::string& text);

// Every space, in the store's order, with its occupants.
Result<std::vector<SpaceSummary>> read_spaces(Daemon& daemon);

}  // namespace convene
