#pragma once
// Certificates read from PEM text, for the TLS contexts and the checks of a
// presented chain: one reader, so both agree on what a bundle holds.
#include <openssl/bio.h>
#include <openssl/x509.h>

#include <memory>
#include <string>
#include <vector>

namespace convene::tls {

struct BioFree { void operator()(BIO* b) const { BIO_free(b); } };
struct X509Free { void operator()(X509* x) const { X509_free(x); } };
using X509Ptr = std::unique_ptr<X509, X509Free>;

// Every certificate in a PEM text, in order. Stops at the first non-certificate
// block; returns an empty vector when there is none.
std::vector<X509Ptr> parse_certificates(const std::string& pem);

// The subject in OpenSSL's one-line form, "(none)" for no certificate.
std::string subject_of(X509* x);

}  // namespace convene::tls
