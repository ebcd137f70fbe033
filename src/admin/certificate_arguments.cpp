#include "admin/certificate_arguments.h"

#include "node/node.h"
#include "pki/certificate_info.h"
#include "pki/key.h"

namespace convene {

Result<CertificateArguments> check_certificate_arguments(const CommandRequest& req, const std::string& command) {
  const auto& paths = req.node.paths();
  CertificateArguments a;
  auto key = paths.existing_file(req.args[0]);
  if (!key) return key.error();
  auto cert = paths.existing_file(req.args[1]);
  if (!cert) return cert.error();
  a.key = *key;
  a.cert = *cert;
  if (req.args.size() > 2) {
    auto b = paths.existing_file(req.args[2]);
    if (!b) return b.error();
    a.bundle = *b;
    a.bundle_name = req.args[2];
  }
  CONVENE_TRY(pki::check_key_cert_files(a.key, a.cert));
  a.now = pki::current_time();
  a.report = pki::verify_chain_files(a.cert, a.bundle, a.now);
  if (!a.report.ok()) {
    Error e = a.report.status().error();
    if (a.bundle.empty() && (a.report.problem == pki::ChainProblem::kUnknownIssuer ||
                             a.report.problem == pki::ChainProblem::kUntrustedRoot))
      e.hint = "Give the CA certificate, or the bundle of intermediates and root (root last), as the third "
               "argument: " + command + " " + req.args[0] + " " + req.args[1] + " <bundle>";
    e.message = "'" + req.args[1] + "' cannot be used: " + e.message;
    return e;
  }
  return a;
}

void warn_of_expiring_certificates(CommandRequest& req, const CertificateArguments& args) {
  for (const auto& c : args.report.chain)
    if (pki::expires_within(c, args.now, kCertificateExpiryWarningDays))
      req.io.print("WARNING: '" + c.display_name() + "' expires in " +
                   pki::days_phrase(pki::days_left(c, args.now)) + "; renew it soon");
}

}  // namespace convene
