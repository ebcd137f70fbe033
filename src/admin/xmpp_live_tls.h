#pragma once
// `xmpp certs` and `xmpp cluster trust` on a running node, as `database cluster
// certs` on the database side: checked against what the cluster's peers trust and
// present before anything changes, then applied at once to every listener (client
// port, component port, cluster port) without a restart. New handshakes use the new
// files; established client sessions, component streams and cluster links keep the
// TLS session they made and stay up.
//
// What a node can know of its peers' trust: every member of an XMPP cluster is
// given the same `xmpp cluster trust` bundle (seed 000, step 4), so a certificate
// this node's bundle refuses is refused by its peers too; and the certificate each
// other member presents now on its cluster port (Consensus::presented_chains, a
// probe connection: the live links may still carry an older one) is what a new
// bundle must keep accepting. A staged CA change passes every check
// (old+new bundle everywhere, then new certificates, then the new CA alone); a
// bundle that skips a stage is refused unless the operator says `force`.
//
// Thread-safety: admin conversation threads; the callers hold no lock, the
// cluster's TLS source and the service guard themselves.
#include <filesystem>
#include <string>
#include <vector>

#include "admin/daemon.h"

namespace convene {

// `xmpp certs`: in a cluster, the new certificate (leaf first, then the
// intermediates of the same file) must verify against this node's cluster trust
// bundle, and the cluster's TLS context must build with it. An error names the
// certificate and the cause; nothing is changed by this check.
Status check_certificate_for_cluster(Daemon& daemon, const std::filesystem::path& key,
                                     const std::filesystem::path& cert, const std::string& cert_name);

// `xmpp cluster trust`: in a cluster, what the new bundle would refuse: this node's
// own certificate (its peers, given the same bundle, would refuse it) and the
// certificate each other member presents now on its cluster port (a probe
// connection: the next link with it would fail). `refusals`: one line each, naming
// the certificate, the peer and the cause. `unchecked`: members whose certificate
// could not be seen (down, or refused by the current trust), said as warnings.
// An error when the bundle cannot be used at all.
struct TrustCheck {
  std::vector<std::string> refusals;
  std::vector<std::string> unchecked;
};
Result<TrustCheck> check_trust_for_cluster(Daemon& daemon, const std::filesystem::path& bundle,
                                           const std::string& bundle_name);

// The staged CA change, in one line for an error's hint.
std::string staged_ca_change_hint();

// After `xmpp certs` or `xmpp cluster trust` changed the configuration: the
// running service's listeners and the cluster port take the configured files now.
// Returns what was applied, one line each for the operator.
Result<std::vector<std::string>> apply_xmpp_tls(Daemon& daemon);

}  // namespace convene
