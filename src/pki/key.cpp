#include "pki/key.h"

#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include "pki/name.h"
#include "pki/pem.h"

namespace convene::pki {

Result<EvpPkeyPtr> generate_key(const KeySpec& spec) {
  EVP_PKEY* key = nullptr;
  if (spec.type == KeySpec::Type::kRsa) {
    if (spec.rsa_bits < 2048 || spec.rsa_bits > 16384)
      return make_error("RSA key size " + std::to_string(spec.rsa_bits) + " is not supported",
                        "Use 2048, 3072 or 4096 bits.");
    key = EVP_RSA_gen(static_cast<unsigned>(spec.rsa_bits));
  } else {
    key = EVP_EC_gen(spec.ec_curve.c_str());
  }
  if (!key) return make_error("key generation failed: " + take_openssl_error(), "Check the key type and size.");
  return EvpPkeyPtr(key);
}

std::string private_key_pem(EVP_PKEY* key) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr);
  return bio_contents(bio.get());
}

std::string KeyInfo::summary() const {
  std::string s = short_type + " " + std::to_string(bits) + " bit";
  if (!curve.empty()) s += " (" + curve + ")";
  return s;
}

KeyInfo key_info(const EVP_PKEY* key) {
  KeyInfo info;
  int id = EVP_PKEY_get_base_id(key);
  info.algorithm = id != NID_undef ? OBJ_nid2ln(id) : "unknown";
  info.bits = EVP_PKEY_get_bits(key);
  switch (id) {
    case EVP_PKEY_RSA: info.short_type = "RSA"; break;
    case EVP_PKEY_EC: {
      info.short_type = "EC";
      char group[64] = {};
      if (EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof group, nullptr) == 1)
        info.curve = group;
      break;
    }
    default: info.short_type = id != NID_undef ? OBJ_nid2sn(id) : "unknown"; break;
  }
  ERR_clear_error();
  return info;
}

Status check_key_cert_pair(const EVP_PKEY* key, const X509* cert) {
  const EVP_PKEY* cert_key = X509_get0_pubkey(cert);
  int eq = cert_key ? EVP_PKEY_eq(key, cert_key) : -1;
  ERR_clear_error();
  if (eq == 1) return ok_status();
  return make_error("the private key does not match the certificate for '" +
                        read_name(X509_get_subject_name(cert)).to_string() + "'",
                    "Use the key the certificate's CSR was made with, or have a certificate issued for this key.");
}

Status check_key_cert_files(const std::filesystem::path& key_file, const std::filesystem::path& cert_file) {
  auto key = load_private_key(key_file);
  if (!key) return key.error();
  auto certs = load_certificates(cert_file);
  if (!certs) return certs.error();
  auto st = check_key_cert_pair(key->get(), certs->front().get());
  if (!st)
    return make_error("private key '" + key_file.filename().string() + "' does not match certificate '" +
                          cert_file.filename().string() + "' (" +
                          read_name(X509_get_subject_name(certs->front().get())).to_string() + ")",
                      st.error().hint);
  return ok_status();
}

}  // namespace convene::pki
