#include "dbcluster/replication.h"

#include <arpa/inet.h>

#include <cstdio>

namespace convene::dbcluster {

std::string conninfo_quote(const std::string& value) {
  std::string out = "'";
  for (char c : value) {
    if (c == '\'' || c == '\\') out += '\\';
    out += c;
  }
  return out + "'";
}

// PostgreSQL's configuration scanner reads backslash escapes inside quoted values
// (GUC_scanstr), so a lone backslash before the closing quote used to end the
// value elsewhere; every byte that could end or break the line is escaped here.
std::string conf_quote(const std::string& value) {
  std::string out = "'";
  for (unsigned char c : value) {
    if (c == '\\') out += "\\\\";
    else if (c == '\'') out += "''";
    else if (c < 0x20 || c == 0x7f) {
      char oct[8];
      std::snprintf(oct, sizeof oct, "\\%03o", c);
      out += oct;
    } else out += static_cast<char>(c);
  }
  return out + "'";
}

Status check_member_address(const std::string& address) {
  auto refuse = [&](const std::string& why) {
    return make_error("'" + address + "' is not a usable database cluster address: " + why,
                      "Nothing was changed. Give the member's IP address (e.g. 10.106.85.73) or host name.");
  };
  if (address.empty()) return refuse("it is empty");
  unsigned char ip[16];
  if (inet_pton(AF_INET, address.c_str(), ip) == 1 || inet_pton(AF_INET6, address.c_str(), ip) == 1)
    return ok_status();
  if (address.size() > 253) return refuse("it is longer than a host name may be");
  size_t label = 0;
  for (size_t i = 0; i < address.size(); ++i) {
    char c = address[i];
    bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
    if (c == '.') {
      if (label == 0 || address[i - 1] == '-') return refuse("it has an empty or malformed label");
      label = 0;
    } else if (alnum || (c == '-' && label > 0)) {
      if (++label > 63) return refuse("a label is longer than 63 characters");
    } else {
      return refuse("it holds a character a host name or IP address cannot have");
    }
  }
  if (label == 0 || address.back() == '-') return refuse("it ends in an empty or malformed label");
  return ok_status();
}

Status check_certificate_name(const std::string& name) {
  if (name.empty())
    return make_error("the client certificate has no subject common name (CN)",
                      "Nothing was changed. Issue it with CN:<name>; the cluster admits its peers by that name.");
  for (unsigned char c : name)
    if (c < 0x20 || c == 0x7f || c == '"')
      return make_error("the client certificate's common name holds a quote or a control character",
                        "Nothing was changed. Issue it with a CN of letters, digits, dots and dashes.");
  if (name.front() == '/')
    return make_error("the client certificate's common name starts with '/'",
                      "Nothing was changed. Issue it with a CN that does not start with '/'.");
  return ok_status();
}

std::string ident_map(const std::string& client_cn) {
  std::string cn = "\"" + client_cn + "\"";
  std::string out = "# Written by convened: the cluster's client certificate (by its CN) and nothing else.\n";
  for (const char* role : {kReplicationRole, kAgentRole, kCallbridgeRole})
    out += std::string("dbcluster ") + cn + " " + role + "\n";
  return out;
}

namespace {
std::string tls_part(const TlsFiles& tls) {
  return " sslmode='verify-full' sslcert=" + conninfo_quote(tls.client_cert.string()) +
         " sslkey=" + conninfo_quote(tls.client_key.string()) +
         " sslrootcert=" + conninfo_quote(tls.ca_cert.string());
}
}  // namespace

std::string remote_conninfo(const ConnSpec& spec, const TlsFiles& tls) {
  std::string s = "host=" + conninfo_quote(spec.host) + " port='" + std::to_string(kPort) + "' user=" +
                  conninfo_quote(spec.replication ? kReplicationRole : kAgentRole);
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
         // Bounds that keep a writer's pause under the cluster's failover window when
         // the master's node drops off the network (its packets dropped, not refused):
         // tcp_user_timeout ends a connection attempt whose SYN or handshake gets no
         // answer after 1 s (libpq's connect_timeout cannot go under 2 s, per host, and
         // the old master stays first in the list), and a session waiting for an answer
         // (a commit on the fenced master) after the first keepalive probe goes
         // unanswered: about 2 s, instead of TCP's minutes of retransmissions.
         " target_session_attrs='read-write' connect_timeout='2' keepalives_idle='1' keepalives_interval='1'"
         " keepalives_count='2' tcp_user_timeout='1000'"
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
