#include "pki/csr.h"

namespace convene::pki {

Result<X509ReqPtr> make_csr(const CsrRequest& request, EVP_PKEY* key) {
  if (request.subject.empty() && request.sans.empty())
    return make_error("the request has neither a subject nor subjectAltNames", "Give at least CN:<name>.");
  CONVENE_TRY(validate_name(request.subject));
  auto name = make_x509_name(request.subject);
  if (!name) return name.error();

  X509ReqPtr req(X509_REQ_new());
  X509_REQ_set_version(req.get(), 0);  // v1, the only defined CSR version
  X509_REQ_set_subject_name(req.get(), name->get());
  X509_REQ_set_pubkey(req.get(), key);
  if (!request.sans.empty()) {
    auto ext = make_alt_name_extension(request.sans);
    if (!ext) return ext.error();
    ExtensionStackPtr exts(sk_X509_EXTENSION_new_null());
    sk_X509_EXTENSION_push(exts.get(), ext->release());
    if (X509_REQ_add_extensions(req.get(), exts.get()) != 1)
      return make_error("cannot add subjectAltName to the request: " + take_openssl_error());
  }
  if (X509_REQ_sign(req.get(), key, EVP_sha256()) <= 0)
    return make_error("cannot sign the request: " + take_openssl_error());
  return req;
}

Result<CsrInfo> read_csr_info(X509_REQ* csr) {
  CsrInfo info;
  info.subject = read_name(X509_REQ_get_subject_name(csr));
  EVP_PKEY* key = X509_REQ_get0_pubkey(csr);
  if (!key) {
    ERR_clear_error();
    return make_error("the certificate request carries no readable public key");
  }
  info.public_key = key_info(key);
  info.signature_ok = X509_REQ_verify(csr, key) == 1;
  ExtensionStackPtr exts(X509_REQ_get_extensions(csr));
  for (int i = 0; exts && i < sk_X509_EXTENSION_num(exts.get()); ++i) {
    X509_EXTENSION* ext = sk_X509_EXTENSION_value(exts.get(), i);
    if (OBJ_obj2nid(X509_EXTENSION_get_object(ext)) != NID_subject_alt_name) continue;
    GeneralNamesPtr names(static_cast<GENERAL_NAMES*>(X509V3_EXT_d2i(ext)));
    info.sans = read_alt_names(names.get());
  }
  ERR_clear_error();
  return info;
}

}  // namespace convene::pki
