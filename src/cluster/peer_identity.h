#pragma once
// Which member a mutual-TLS peer may be: the binding between the node it claims
// in its hello (an id and an "ip:port" address) and the certificate it showed.
//
// Why this design. The trust bundle (`xmpp cluster trust`, the database CA) is
// used two ways by the guides: the seed's lab shares ONE certificate among all
// nodes and trusts exactly that leaf; its production bundle is the nodes' own
// leaves (xmppserver1..3.crt); our tests and scripts/run.sh put a CA in it, and
// the database cluster's seed shares one CA-signed server certificate that names
// no node. So a certificate cannot always name a node, and a CA alone vouches for
// anything it ever signed. The standing of a peer is therefore:
//   trusted  its public key is in the trust bundle (the operator pinned exactly
//            this certificate) or is this node's own key (the shared certificate:
//            it holds our private key already);
//   named    it chains to a CA of the bundle and names the host of the address it
//            claims (subjectAltName IP/DNS or CN): the CA vouched for that node;
//   located  it chains to a CA but names another node; the connection comes from
//            the host it claims (TCP cannot be answered from elsewhere): good
//            enough for a member already in the configuration at that address
//            (its certificate may have been rotated to one naming nothing), never
//            to join or to take over another member's id;
//   refused  none of these: the connection is closed and logged.
// Nothing is recorded at join, so a rotated certificate (`xmpp certs`,
// `database cluster certs`) keeps working as long as it is trusted as above; the
// consensus (raft_consensus.cpp) checks what each standing may do.
// Pure functions, any thread.
#include <cstdint>
#include <string>
#include <string_view>

#include "tls/tls_context.h"

namespace convene::cluster {

enum class PeerStanding : std::uint8_t { refused, located, named, trusted };
const char* standing_name(PeerStanding s);

// `claimed_host`: the host of the address in the hello; `source_host`: the
// address the connection comes from.
PeerStanding judge_peer(const tls::PeerCertificate& cert, std::string_view claimed_host,
                        std::string_view source_host);

// True when `name` (a certificate name) is `host`: IP addresses compared as
// addresses, names case-insensitively.
bool names_host(std::string_view name, std::string_view host);

}  // namespace convene::cluster
