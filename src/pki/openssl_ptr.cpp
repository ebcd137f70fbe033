#include "pki/openssl_ptr.h"

#include <openssl/err.h>

namespace convene::pki {

X509Ptr share(X509* cert) {
  if (cert) X509_up_ref(cert);
  return X509Ptr(cert);
}

std::string take_openssl_error() {
  std::string text;
  unsigned long code;
  while ((code = ERR_get_error()) != 0) {
    char buf[256];
    ERR_error_string_n(code, buf, sizeof buf);
    // Keep only the reason part ("error:...:reason"), which is what an operator can use.
    std::string line = buf;
    if (auto pos = line.rfind(':'); pos != std::string::npos) line = line.substr(pos + 1);
    if (!text.empty()) text += "; ";
    text += line;
  }
  return text;
}

std::string bio_contents(BIO* bio) {
  char* data = nullptr;
  long n = BIO_get_mem_data(bio, &data);
  return n > 0 ? std::string(data, static_cast<size_t>(n)) : std::string();
}

}  // namespace convene::pki
