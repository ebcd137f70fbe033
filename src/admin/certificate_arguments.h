// The key, certificate and optional bundle that a `<group> certs <key> <cert>
// [<bundle>]` command names (xmpp certs, webadmin certs), checked before anything
// changes: each file is in the node's file area, the key matches the certificate,
// and the chain verifies now (a missing CA names the bundle argument to add). The
// messages are the same for every listener, so operators see one rule.
#pragma once

#include <filesystem>
#include <string>

#include "admin/command_registry.h"
#include "pki/verify.h"
#include "util/result.h"

namespace convene {

// Certificates this close to their end get a WARNING line when installed.
inline constexpr long kCertificateExpiryWarningDays = 30;

struct CertificateArguments {
  std::filesystem::path key, cert, bundle;  // bundle empty when none was given
  std::string bundle_name;                  // as typed, empty when none
  pki::ChainReport report;                  // the verified chain, leaf first
  pki::Time now;                            // when it was verified
};

// `command` is what the operator typed before the arguments ("xmpp certs"), for the hint.
Result<CertificateArguments> check_certificate_arguments(const CommandRequest& req, const std::string& command);

// Prints "WARNING: '<name>' expires in N days; renew it soon" for each certificate
// of the chain inside kCertificateExpiryWarningDays.
void warn_of_expiring_certificates(CommandRequest& req, const CertificateArguments& args);

}  // namespace convene
