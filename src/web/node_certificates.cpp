#include "web/node_certificates.h"

#include "admin/config_sections.h"
#include "dbcluster/database_config.h"
#include "node/node.h"
#include "pki/pem.h"
#include "web/webadmin_config.h"

namespace convene::web {

namespace {

void add(std::vector<NodeCertificate>& out, Node& node, const std::string& use, const std::string& file,
         const std::string& command) {
  if (file.empty()) return;
  NodeCertificate c{use, file, command, std::nullopt, ""};
  auto path = node.paths().existing_file(file);
  if (!path) {
    c.problem = "missing from the file area";
  } else if (auto certs = pki::load_certificates(*path); !certs || certs->empty()) {
    c.problem = "unreadable: " + (certs ? std::string("no certificate in it") : certs.error().message);
  } else if (auto info = pki::read_certificate_info(certs->front().get()); !info) {
    c.problem = "unreadable: " + info.error().message;
  } else {
    c.info = *info;
  }
  out.push_back(std::move(c));
}

}  // namespace

std::vector<NodeCertificate> node_certificates(Node& node) {
  std::vector<NodeCertificate> out;
  add(out, node, "xmpp", xmpp_config(node.config()).cert, "xmpp certs");
  add(out, node, "webadmin", webadmin_config(node.config()).cert, "webadmin certs");
  auto db = dbcluster::database_config(node.config()).certs.value_or(dbcluster::CertNames{});
  add(out, node, "database_server", db.server_cert, "database cluster certs");
  add(out, node, "database_client", db.client_cert, "database cluster certs");
  add(out, node, "database_ca", db.ca_cert, "database cluster certs");
  return out;
}

}  // namespace convene::web
