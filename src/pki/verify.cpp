#include "pki/verify.h"

#include <arpa/inet.h>

#include "pki/pem.h"

namespace convene::pki {

namespace {

ChainReport failure(ChainProblem problem, std::string reason, std::optional<CertificateInfo> culprit = {}) {
  ChainReport r;
  r.problem = problem;
  r.reason = std::move(reason);
  r.culprit = std::move(culprit);
  return r;
}

ChainReport unreadable(const Error& error) {
  ChainReport r = failure(ChainProblem::kUnreadable, error.message);
  r.hint = error.hint;
  return r;
}

std::optional<CertificateInfo> info_of(const X509* cert) {
  if (!cert) return std::nullopt;
  auto info = read_certificate_info(cert);
  if (!info) return std::nullopt;
  return std::move(*info);
}

std::string quoted(const std::optional<CertificateInfo>& info) {
  return info ? "'" + info->subject.to_string() + "'" : "a certificate";
}

ChainReport explain(int code, X509_STORE_CTX* ctx, Time now) {
  auto culprit = info_of(X509_STORE_CTX_get_current_cert(ctx));
  switch (code) {
    case X509_V_ERR_CERT_HAS_EXPIRED:
      return failure(ChainProblem::kExpired,
                     "certificate " + quoted(culprit) + " has EXPIRED" +
                         (culprit ? " (on " + format_time(culprit->not_after) + ", " +
                                        days_phrase(days_since_expiry(*culprit, now)) + " ago)"
                                  : ""),
                     culprit);
    case X509_V_ERR_CERT_NOT_YET_VALID:
      return failure(ChainProblem::kNotYetValid,
                     "certificate " + quoted(culprit) + " is NOT YET VALID" +
                         (culprit ? " (valid from " + format_time(culprit->not_before) + ")" : ""),
                     culprit);
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
    case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
      return failure(ChainProblem::kUnknownIssuer,
                     "unknown CA: the issuer '" + (culprit ? culprit->issuer.to_string() : std::string("?")) +
                         "' of " + quoted(culprit) + " is not in the trusted certificates",
                     culprit);
    case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
    case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
      return failure(ChainProblem::kUntrustedRoot,
                     "unknown CA: the chain ends in the self-signed certificate " + quoted(culprit) +
                         ", which is not among the trusted certificates",
                     culprit);
    case X509_V_ERR_CERT_SIGNATURE_FAILURE:
      return failure(ChainProblem::kBadSignature, "the signature of " + quoted(culprit) + " does not verify", culprit);
    case X509_V_ERR_INVALID_CA:
    case X509_V_ERR_KEYUSAGE_NO_CERTSIGN:
    case X509_V_ERR_PATH_LENGTH_EXCEEDED:
      return failure(ChainProblem::kIssuerNotCa,
                     "certificate " + quoted(culprit) + " signs other certificates but may not (" +
                         X509_verify_cert_error_string(code) + ")",
                     culprit);
    case X509_V_ERR_INVALID_PURPOSE:
      return failure(ChainProblem::kWrongPurpose,
                     "certificate " + quoted(culprit) + " is not allowed for this use (its key usage excludes it)",
                     culprit);
    case X509_V_ERR_HOSTNAME_MISMATCH:
    case X509_V_ERR_IP_ADDRESS_MISMATCH:
      return failure(ChainProblem::kHostMismatch, "certificate " + quoted(culprit) + " does not name this host",
                     culprit);
    default:
      return failure(ChainProblem::kOther,
                     "certificate " + quoted(culprit) + " failed verification: " + X509_verify_cert_error_string(code),
                     culprit);
  }
}

}  // namespace

Status ChainReport::status() const {
  if (ok()) return ok_status();
  if (!hint.empty()) return make_error(reason, hint);
  std::string text;
  switch (problem) {
    case ChainProblem::kEmpty: text = "Give a certificate file."; break;
    case ChainProblem::kExpired: text = "Renew the certificate (a new CSR signed by the CA) and install the new file."; break;
    case ChainProblem::kNotYetValid: text = "Check this node's clock, or wait until the certificate's start date."; break;
    case ChainProblem::kUnknownIssuer:
    case ChainProblem::kUntrustedRoot:
      text = "Give the CA bundle that issued it (intermediates and root), or add the missing intermediates to the certificate file.";
      break;
    case ChainProblem::kBadSignature: text = "The file is damaged or does not belong to this CA; get the certificate again."; break;
    case ChainProblem::kIssuerNotCa: text = "Have the certificate issued by a real CA certificate (basicConstraints CA:TRUE)."; break;
    case ChainProblem::kWrongPurpose: text = "Have the certificate issued with the TLS server/client usage it is used for."; break;
    case ChainProblem::kHostMismatch: text = "Have the certificate issued with this host's name or address as subjectAltName."; break;
    default: text = "Check the certificate and CA files with 'pki inspect'."; break;
  }
  return make_error(reason, text);
}

ChainReport verify_chain(const CertificateList& bundle, const CertificateList& trust, Time now,
                         const VerifyOptions& options) {
  if (bundle.empty()) return failure(ChainProblem::kEmpty, "no certificate to verify");
  X509StorePtr store(X509_STORE_new());
  for (const auto& c : trust) X509_STORE_add_cert(store.get(), c.get());
  X509StackPtr untrusted(sk_X509_new_null());
  for (size_t i = 1; i < bundle.size(); ++i) sk_X509_push(untrusted.get(), share(bundle[i].get()).release());

  X509StoreCtxPtr ctx(X509_STORE_CTX_new());
  if (X509_STORE_CTX_init(ctx.get(), store.get(), bundle.front().get(), untrusted.get()) != 1)
    return failure(ChainProblem::kOther, "cannot set up verification: " + take_openssl_error());
  X509_VERIFY_PARAM* param = X509_STORE_CTX_get0_param(ctx.get());
  X509_VERIFY_PARAM_set_time(param, static_cast<time_t>(now.time_since_epoch().count()));
  if (options.allow_partial_chain) X509_VERIFY_PARAM_set_flags(param, X509_V_FLAG_PARTIAL_CHAIN);
  if (options.purpose == VerifyOptions::Purpose::kTlsServer) X509_STORE_CTX_set_purpose(ctx.get(), X509_PURPOSE_SSL_SERVER);
  if (options.purpose == VerifyOptions::Purpose::kTlsClient) X509_STORE_CTX_set_purpose(ctx.get(), X509_PURPOSE_SSL_CLIENT);
  if (!options.host.empty()) {
    unsigned char ip[16];
    bool is_ip = inet_pton(AF_INET, options.host.c_str(), ip) == 1 || inet_pton(AF_INET6, options.host.c_str(), ip) == 1;
    if (is_ip)
      X509_VERIFY_PARAM_set1_ip_asc(param, options.host.c_str());
    else
      X509_VERIFY_PARAM_set1_host(param, options.host.c_str(), 0);
  }

  int rc = X509_verify_cert(ctx.get());
  ChainReport report = rc == 1 ? ChainReport{} : explain(X509_STORE_CTX_get_error(ctx.get()), ctx.get(), now);
  ERR_clear_error();
  if (STACK_OF(X509)* chain = X509_STORE_CTX_get0_chain(ctx.get()))
    for (int i = 0; i < sk_X509_num(chain); ++i)
      if (auto info = info_of(sk_X509_value(chain, i))) report.chain.push_back(std::move(*info));
  return report;
}

ChainReport verify_bundle(const CertificateList& bundle, Time now, const VerifyOptions& options) {
  if (bundle.empty()) return failure(ChainProblem::kEmpty, "no certificate to verify");
  auto root = info_of(bundle.back().get());
  if (!root || !root->self_signed)
    return failure(ChainProblem::kUnknownIssuer,
                   "the file's last certificate " + quoted(root) +
                       " is not a root (self-signed) certificate, so the file alone cannot prove the chain",
                   root);
  CertificateList trust;
  trust.push_back(share(bundle.back().get()));
  return verify_chain(bundle, trust, now, options);
}

ChainReport verify_chain_files(const std::filesystem::path& cert_file, const std::filesystem::path& trust_file,
                               Time now, const VerifyOptions& options) {
  auto bundle = load_certificates(cert_file);
  if (!bundle) return unreadable(bundle.error());
  if (trust_file.empty()) return verify_bundle(*bundle, now, options);
  auto trust = load_certificates(trust_file);
  if (!trust) return unreadable(trust.error());
  return verify_chain(*bundle, *trust, now, options);
}

}  // namespace convene::pki
