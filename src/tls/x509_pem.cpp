#include "tls/x509_pem.h"

#include <openssl/err.h>
#include <openssl/pem.h>

namespace convene::tls {

std::vector<X509Ptr> parse_certificates(const std::string& pem) {
  std::vector<X509Ptr> out;
  std::unique_ptr<BIO, BioFree> bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  while (X509* x = PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr)) out.emplace_back(x);
  ERR_clear_error();  // the loop ends with a "no start line" error
  return out;
}

std::string subject_of(X509* x) {
  if (!x) return "(none)";
  char buf[512];
  X509_NAME_oneline(X509_get_subject_name(x), buf, sizeof buf);
  return buf;
}

}  // namespace convene::tls
