#include "dbcluster/replication.h"

#include "pg/connection.h"

namespace convene::dbcluster {

std::string conninfo_quote(const std::string& value) {
  std::string out = "'";
  for (char c : value) {
    if (c == '\'' || c == '\\') out += '\\';
    out += c;
  }
  return out + "'";
}

// postgresql.conf quotes a value as SQL quotes a literal.
std::string conf_quote(const std::string& value) { return pg::sql_literal(value); }

namespace {
std::string tls_part(const TlsFiles& tls) {
  return " sslmode='verify-ca' sslcert=" + conninfo_quote(tls.client_cert.string()) +
         " sslkey=" + conninfo_quote(tls.client_key.string()) +
         " sslrootcert=" + conninfo_quote(tls.ca_cert.string());
}
}  // namespace

std::string remote_conninfo(const ConnSpec& spec, const TlsFiles& tls) {
  std::string s = "host=" + conninfo_quote(spec.host) + " port='" + std::to_string(kPort) + "' user=" +
                  conninfo_quote(kReplicationRole);
  if (spec.replication)
    s += " replication='true'";
  else
    s += " dbname=" + conninfo_quote(spec.dbname);
  s += tls_part(tls);
  if (!spec.application_name.empty()) s += " application_name=" + conninfo_quote(spec.application_name);
  s += " connect_timeout='" + std::to_string(spec.connect_timeout_s) + "'";
  return s;
}

std::string primary_conninfo(const std::string& primary_host, const std::string& my_address, const TlsFiles& tls) {
  return "host=" + conninfo_quote(primary_host) + " port='" + std::to_string(kPort) + "' user=" +
         conninfo_quote(kReplicationRole) + tls_part(tls) + " application_name=" + conninfo_quote(my_address) +
         " connect_timeout='2' keepalives_idle='2' keepalives_interval='1' keepalives_count='3'";
}

std::string application_conninfo(const std::vector<std::string>& members, const TlsFiles& tls) {
  std::string hosts;
  for (const auto& m : members) hosts += (hosts.empty() ? "" : ",") + m;
  return "host=" + conninfo_quote(hosts) + " port='" + std::to_string(kPort) + "' user=" +
         conninfo_quote(kCallbridgeRole) + " dbname=" + conninfo_quote(kAppDatabase) + tls_part(tls) +
         " target_session_attrs='read-write' connect_timeout='2' keepalives_idle='5' keepalives_interval='2'"
         // tcp_user_timeout: a query sent to a master that went silent fails after 5 s
         // instead of TCP's minutes of retransmissions.
         " keepalives_count='3' tcp_user_timeout='5000'"
         " application_name='convene-callbridge'";
}

std::string synchronous_standby_names(const std::vector<std::string>& members, const std::string& primary) {
  std::string list;
  std::size_t all = 1;  // the primary, even when not (yet) listed
  for (const auto& m : members) {
    if (m == primary) continue;
    ++all;
    if (!list.empty()) list += ", ";
    list += "\"" + m + "\"";
  }
  if (list.empty()) return "";
  // With the primary, a commit is on all/2 + 1 members: a majority, so any
  // majority left after the master's loss holds a standby that has it.
  return "ANY " + std::to_string(all / 2) + " (" + list + ")";
}

}  // namespace convene::dbcluster
