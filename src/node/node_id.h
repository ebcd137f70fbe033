#pragma once
// The node's persistent member id: a random non-zero number in DIR/state/node-id,
// made once and kept by `xmpp reset`, so a node that leaves and joins a cluster
// again is the same member (one entry, never a duplicate). The XMPP cluster and
// the database cluster use the same id in their separate groups.
#include <cstdint>

#include "util/result.h"

namespace convene {

class Node;

Result<std::uint64_t> node_id(Node& node);

}  // namespace convene
