#pragma once
// How the nodes of a database cluster reach each other: libpq connection strings
// for streaming replication and for the agents' own queries, and the primary's
// synchronous_standby_names. Pure functions: unit-tested without PostgreSQL.
//
// Authentication is mutual TLS: every connection presents the node's client
// certificate and checks the peer's server certificate against the cluster CA
// and the address it dialled (sslmode=verify-full: the server certificate must
// name every member's address as a subjectAltName, or a certificate of the same CA
// could pose as the master). A server admits a client certificate of that CA only
// when its CN is the CN of its own installed client certificate (pg_ident map
// `dbcluster`, written by ident_map): the seed shares one client certificate among
// the nodes, so another certificate the CA signed (a web server's, a phone's) is
// no member. Each role has the least it needs: `replicator` streams and copies
// (REPLICATION), `convene_agent` runs the agents' queries (members table, status,
// pg_rewind), `callbridge` the call bridge's spaces (cluster_roles.h).
#include <filesystem>
#include <string>
#include <vector>

#include "util/result.h"

namespace convene::dbcluster {

inline constexpr int kPort = 5432;
inline constexpr const char* kReplicationRole = "replicator";
inline constexpr const char* kAgentRole = "convene_agent";  // the agents' queries and pg_rewind
inline constexpr const char* kClusterDatabase = "postgres";  // members table, status queries
inline constexpr const char* kAppDatabase = "convene";       // the application's data
inline constexpr const char* kCallbridgeRole = "callbridge";  // the call bridge's spaces (schema callbridge)

struct TlsFiles {
  std::filesystem::path server_key, server_cert, client_key, client_cert, ca_cert;
};

// Quotes a value for a libpq keyword=value string ('...' with \ and ' escaped).
std::string conninfo_quote(const std::string& value);
// Quotes a value for postgresql.conf: '...' with ' doubled, \ doubled and control
// characters as octal escapes, so no value can end its line or its quotes.
std::string conf_quote(const std::string& value);

// A member address as it may appear in the configuration PostgreSQL reads: an IP
// address or an RFC 1123 host name, nothing else (no quotes, spaces, newlines).
Status check_member_address(const std::string& address);

// A client certificate CN the pg_ident map can hold: not empty, no double quote
// or control character, not starting with '/' (a regular expression there).
Status check_certificate_name(const std::string& name);
// pg_ident.conf: map `dbcluster`, the CN `client_cn` to each role a peer may use.
std::string ident_map(const std::string& client_cn);

struct ConnSpec {
  std::string host;
  std::string dbname = kClusterDatabase;
  std::string application_name;  // the standby's own address, names it in sync lists
  bool replication = false;       // a physical replication connection (pg_basebackup)
  int connect_timeout_s = 3;
};

// "host='127.0.1.1' port='5432' user='replicator' dbname='postgres' sslmode='verify-full'
//  sslcert=... sslkey=... sslrootcert=... application_name=... connect_timeout=..."
std::string remote_conninfo(const ConnSpec& spec, const TlsFiles& tls);

// The standby's primary_conninfo (no dbname: a physical replication stream).
std::string primary_conninfo(const std::string& primary_host, const std::string& my_address, const TlsFiles& tls);

// The application's connection string (the call bridge's spaces): every member
// listed, in order, with target_session_attrs=read-write so libpq connects to
// whichever is the master now; role `callbridge` in database `convene` by the
// node's client certificate; keepalives so a silent master is noticed:
// "host='127.0.1.1,127.0.1.2' port='5432' user='callbridge' dbname='convene'
//  sslmode='verify-full' sslcert=... target_session_attrs='read-write' connect_timeout='2' ..."
std::string application_conninfo(const std::vector<std::string>& members, const TlsFiles& tls);

// "ANY 1 ("127.0.1.2", "127.0.1.3")": a commit waits for members/2 standbys of
// the cluster's other members, so it is on a majority before it is acknowledged
// (three nodes: one standby); empty when there are none (a lone primary must not wait).
std::string synchronous_standby_names(const std::vector<std::string>& members, const std::string& primary);

}  // namespace convene::dbcluster
