#pragma once
// The certificates this node serves with, read from its file area now: the XMPP
// listener's, the web admin's and the database cluster's (server, client, CA), as
// configured (one that is not configured is not listed). One source for the
// Status page's certificate table and /metrics' convene_certificate_days_left.
#include <optional>
#include <string>
#include <vector>

#include "pki/certificate_info.h"

namespace convene {
class Node;
}

namespace convene::web {

struct NodeCertificate {
  std::string use;      // "xmpp", "webadmin", "database_server", "database_client", "database_ca"
  std::string file;     // its name in the file area
  std::string command;  // the command that replaces it, for the warning
  std::optional<pki::CertificateInfo> info;  // empty: missing or unreadable (problem says which)
  std::string problem;
};

std::vector<NodeCertificate> node_certificates(Node& node);

}  // namespace convene::web
