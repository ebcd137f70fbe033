#include "pki/lab_ca.h"

#include <openssl/rand.h>

namespace convene::pki {

namespace {

constexpr long kMaxDays = 36500;

Status add_extension(X509* cert, X509V3_CTX* ctx, int nid, const std::string& value) {
  X509ExtensionPtr ext(X509V3_EXT_nconf_nid(nullptr, ctx, nid, value.c_str()));
  if (!ext || X509_add_ext(cert, ext.get(), -1) != 1)
    return make_error(std::string("cannot add ") + OBJ_nid2sn(nid) + " extension: " + take_openssl_error());
  return ok_status();
}

// Issues a certificate for `subject`/`pubkey`. `issuer` null means self-signed.
Result<X509Ptr> issue(const X509_NAME* subject, EVP_PKEY* pubkey, X509_EXTENSION* san, X509* issuer,
                      EVP_PKEY* issuer_key, const IssueOptions& options, Time now) {
  CONVENE_TRY(validate_issue_options(options));
  X509Ptr cert(X509_new());
  X509_set_version(cert.get(), 2);  // v3, needed for extensions

  // 127 random bits: unique without a serial database, positive as RFC 5280 wants.
  BignumPtr bn(BN_new());
  if (BN_rand(bn.get(), 127, BN_RAND_TOP_ONE, BN_RAND_BOTTOM_ANY) != 1 ||
      !BN_to_ASN1_INTEGER(bn.get(), X509_get_serialNumber(cert.get())))
    return make_error("cannot make a serial number: " + take_openssl_error());

  time_t base = static_cast<time_t>(now.time_since_epoch().count());
  if (!ASN1_TIME_adj(X509_getm_notBefore(cert.get()), base, static_cast<int>(options.start_days), 0) ||
      !ASN1_TIME_adj(X509_getm_notAfter(cert.get()), base, static_cast<int>(options.start_days + options.days), 0))
    return make_error("cannot set the validity dates: " + take_openssl_error());

  X509_set_subject_name(cert.get(), subject);
  X509_set_issuer_name(cert.get(), issuer ? X509_get_subject_name(issuer) : subject);
  X509_set_pubkey(cert.get(), pubkey);

  X509V3_CTX ctx;
  X509V3_set_ctx(&ctx, issuer ? issuer : cert.get(), cert.get(), nullptr, nullptr, 0);
  if (options.is_ca) {
    std::string bc = "critical,CA:TRUE";
    if (options.path_length) bc += ",pathlen:" + std::to_string(*options.path_length);
    CONVENE_TRY(add_extension(cert.get(), &ctx, NID_basic_constraints, bc));
    CONVENE_TRY(add_extension(cert.get(), &ctx, NID_key_usage, "critical,keyCertSign,cRLSign,digitalSignature"));
  } else {
    CONVENE_TRY(add_extension(cert.get(), &ctx, NID_basic_constraints, "critical,CA:FALSE"));
    CONVENE_TRY(add_extension(cert.get(), &ctx, NID_key_usage, "critical,digitalSignature,keyEncipherment"));
    // XMPP servers and the database cluster use one certificate both ways.
    CONVENE_TRY(add_extension(cert.get(), &ctx, NID_ext_key_usage, "serverAuth,clientAuth"));
  }
  CONVENE_TRY(add_extension(cert.get(), &ctx, NID_subject_key_identifier, "hash"));
  if (issuer) CONVENE_TRY(add_extension(cert.get(), &ctx, NID_authority_key_identifier, "keyid:always"));
  if (san && X509_add_ext(cert.get(), san, -1) != 1)
    return make_error("cannot add subjectAltName: " + take_openssl_error());

  int key_id = EVP_PKEY_get_base_id(issuer_key);
  const EVP_MD* md = (key_id == EVP_PKEY_ED25519 || key_id == EVP_PKEY_ED448) ? nullptr : EVP_sha256();
  if (X509_sign(cert.get(), issuer_key, md) <= 0) return make_error("cannot sign the certificate: " + take_openssl_error());
  return cert;
}

}  // namespace

Status validate_issue_options(const IssueOptions& options) {
  if (options.days < 1 || options.days > kMaxDays)
    return make_error("days:" + std::to_string(options.days) + " is out of range",
                      "Give a validity between 1 and " + std::to_string(kMaxDays) + " days.");
  if (options.start_days < -kMaxDays || options.start_days > kMaxDays)
    return make_error("start:" + std::to_string(options.start_days) + " is out of range",
                      "Give a start offset between -" + std::to_string(kMaxDays) + " and " + std::to_string(kMaxDays) + " days.");
  if (options.path_length && (*options.path_length < 0 || !options.is_ca))
    return make_error("a path length needs a CA certificate and must not be negative");
  return ok_status();
}

Result<X509Ptr> sign_csr(X509_REQ* csr, X509* ca_cert, EVP_PKEY* ca_key, const IssueOptions& options, Time now) {
  EVP_PKEY* pubkey = X509_REQ_get0_pubkey(csr);
  if (!pubkey || X509_REQ_verify(csr, pubkey) != 1) {
    ERR_clear_error();
    return make_error("the certificate request's signature does not verify",
                      "The CSR is damaged or was edited; make a new one.");
  }
  auto ca = read_certificate_info(ca_cert);
  if (!ca) return ca.error();
  if (!ca->is_ca)
    return make_error("'" + ca->subject.to_string() + "' is not a CA certificate",
                      "Sign with a CA made by 'pki ca create' (basicConstraints CA:TRUE).");
  if (auto st = check_key_cert_pair(ca_key, ca_cert); !st)
    return make_error("the CA key does not belong to the CA certificate '" + ca->subject.to_string() + "'",
                      "Give the key the CA certificate was made with.");
  if (validity_at(*ca, now) != Validity::kValid)
    return make_error("the CA certificate '" + ca->subject.to_string() + "' is not valid now (" +
                          validity_sentence(*ca, now) + ")",
                      "Create a new lab CA with 'pki ca create'.");

  auto info = read_csr_info(csr);
  if (!info) return info.error();
  if (info->subject.empty() && info->sans.empty())
    return make_error("the certificate request names nobody (no subject, no subjectAltName)", "Make a CSR with CN:<name>.");

  X509ExtensionPtr san;
  if (!info->sans.empty()) {
    auto ext = make_alt_name_extension(info->sans);
    if (!ext) return ext.error();
    san = std::move(*ext);
  }
  return issue(X509_REQ_get_subject_name(csr), pubkey, san.get(), ca_cert, ca_key, options, now);
}

Result<X509Ptr> make_self_signed(const CsrRequest& request, EVP_PKEY* key, const IssueOptions& options, Time now) {
  if (request.subject.empty()) return make_error("a self-signed certificate needs a subject", "Give CN:<name>.");
  CONVENE_TRY(validate_name(request.subject));
  auto name = make_x509_name(request.subject);
  if (!name) return name.error();
  X509ExtensionPtr san;
  if (!request.sans.empty()) {
    auto ext = make_alt_name_extension(request.sans);
    if (!ext) return ext.error();
    san = std::move(*ext);
  }
  return issue(name->get(), key, san.get(), nullptr, key, options, now);
}

}  // namespace convene::pki
