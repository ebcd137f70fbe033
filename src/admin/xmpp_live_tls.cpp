#include "admin/xmpp_live_tls.h"

#include "admin/xmpp_cluster.h"
#include "admin/xmpp_settings.h"
#include "tls/presented_chain.h"
#include "tls/tls_context.h"
#include "util/files.h"
#include "util/log.h"

namespace convene {

namespace fs = std::filesystem;

namespace {

const char* const kStagedChange =
    "To change the cluster's CA without a break, go in stages: trust a bundle of the old and the new CA on every "
    "node ('xmpp cluster trust <old+new bundle>'), then give each node its new certificate ('xmpp certs'), then "
    "trust the new CA alone (README: \"Changing the XMPP cluster's CA\").";

}  // namespace

std::string staged_ca_change_hint() { return kStagedChange; }

Status check_certificate_for_cluster(Daemon& daemon, const fs::path& key, const fs::path& cert,
                                     const std::string& cert_name) {
  auto cluster = daemon.cluster_store();
  if (!cluster) return ok_status();
  auto files = xmpp_cluster_tls_files(daemon.node());
  if (!files) return files.error();
  auto pem = read_file(cert);
  if (!pem) return pem.error();
  const std::string trust_name = files->trust.filename().string();
  if (auto st = tls::verify_against_bundle(*pem, files->trust); !st)
    return make_error(ErrorCode::failed_precondition,
                      "certificate '" + cert_name + "' (" + tls::first_subject(*pem) +
                          ") is not trusted by this XMPP cluster: the trust bundle '" + trust_name +
                          "' refuses it: " + st.error().message,
                      "Nothing was changed. The peers verify this node's certificate against the bundle every node "
                      "trusts ('xmpp cluster trust'), so they would refuse it at the next connection. Use a "
                      "certificate from a CA of '" + trust_name + "', or first add its CA to the bundle on every "
                      "node.\n" + kStagedChange);
  // The cluster port's context must build with it (key, chain, bundle), as the
  // swap after the configuration change will build it.
  if (auto ctx = tls::make_mutual_tls_context({key, cert, files->trust}); !ctx)
    return make_error(ErrorCode::invalid_argument,
                      "certificate '" + cert_name + "' cannot be used on the cluster port: " + ctx.error().message,
                      "Nothing was changed.");
  return ok_status();
}

Result<TrustCheck> check_trust_for_cluster(Daemon& daemon, const fs::path& bundle, const std::string& bundle_name) {
  TrustCheck out;
  auto cluster = daemon.cluster_store();
  if (!cluster) return out;
  auto files = xmpp_cluster_tls_files(daemon.node());
  if (!files) return files.error();
  if (auto ctx = tls::make_mutual_tls_context({files->key, files->cert, bundle}); !ctx)
    return make_error(ErrorCode::invalid_argument, "'" + bundle_name + "' cannot be used: " + ctx.error().message,
                      "Nothing was changed.");
  auto own = read_file(files->cert);
  if (!own) return own.error();
  if (auto st = tls::verify_against_bundle(*own, bundle); !st)
    out.refusals.push_back("it refuses this node's own certificate '" + files->cert.filename().string() + "' (" +
                  tls::first_subject(*own) + "), which its peers would verify with the same bundle: " +
                  st.error().message);
  for (auto& chain : cluster->consensus().presented_chains(std::chrono::milliseconds(2000))) {
    if (!chain) {
      out.unchecked.push_back(chain.error().message);
      continue;
    }
    if (auto st = tls::verify_against_bundle(chain->pem, bundle); !st)
      out.refusals.push_back("it refuses the certificate '" + chain->subject + "' that peer " + chain->peer +
                             " presents now: " + st.error().message);
  }
  return out;
}

Result<std::vector<std::string>> apply_xmpp_tls(Daemon& daemon) {
  std::vector<std::string> said;
  if (daemon.xmpp().status().running) {
    auto settings = xmpp_settings(daemon.node());
    if (!settings) return settings.error();
    CONVENE_TRY(daemon.xmpp().replace_certificate(settings->key_file, settings->cert_file, settings->bundle_file));
    said.push_back("The running XMPP server uses it now on the client and component ports (open sessions stay up).");
  }
  if (auto cluster = daemon.cluster_store()) {
    auto files = xmpp_cluster_tls_files(daemon.node());
    if (!files) return files.error();
    CONVENE_TRY(cluster->tls()->replace(*files));
    said.push_back("The cluster port uses it now for new links (open links stay up).");
  }
  return said;
}

}  // namespace convene
