#include "tls/presented_chain.h"

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>

#include <memory>
#include <vector>

#include "tls/x509_pem.h"
#include "util/files.h"

namespace convene::tls {
namespace {

struct StoreFree { void operator()(X509_STORE* s) const { X509_STORE_free(s); } };
struct StoreCtxFree { void operator()(X509_STORE_CTX* c) const { X509_STORE_CTX_free(c); } };
struct StackFree { void operator()(STACK_OF(X509)* s) const { sk_X509_free(s); } };

std::string pem_of(X509* x) {
  std::unique_ptr<BIO, BioFree> bio(BIO_new(BIO_s_mem()));
  PEM_write_bio_X509(bio.get(), x);
  char* data = nullptr;
  long n = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<size_t>(n));
}

}  // namespace

std::optional<PresentedChain> presented_chain(SSL* ssl) {
  X509Ptr leaf(SSL_get1_peer_certificate(ssl));
  if (!leaf) return std::nullopt;
  PresentedChain out;
  out.subject = subject_of(leaf.get());
  out.pem = pem_of(leaf.get());
  // A client's chain holds its leaf first; a server's chain (we accepted) does not.
  STACK_OF(X509)* sent = SSL_get_peer_cert_chain(ssl);
  for (int i = 0; sent && i < sk_X509_num(sent); ++i) {
    X509* x = sk_X509_value(sent, i);
    if (X509_cmp(x, leaf.get()) != 0) out.pem += pem_of(x);
  }
  return out;
}

std::string first_subject(const std::string& pem) {
  auto certs = parse_certificates(pem);
  return certs.empty() ? std::string("(none)") : subject_of(certs.front().get());
}

Status verify_against_bundle(const std::string& pem, const std::filesystem::path& trust) {
  auto chain = parse_certificates(pem);
  if (chain.empty()) return make_error("no certificate to verify");
  auto text = read_file(trust);
  if (!text) return text.error();
  auto anchors = parse_certificates(*text);
  if (anchors.empty()) return make_error("the trust bundle '" + trust.filename().string() + "' holds no certificate");
  std::unique_ptr<X509_STORE, StoreFree> store(X509_STORE_new());
  for (auto& a : anchors) X509_STORE_add_cert(store.get(), a.get());
  ERR_clear_error();  // a certificate twice in the bundle is harmless
  X509_STORE_set_flags(store.get(), X509_V_FLAG_PARTIAL_CHAIN);
  std::unique_ptr<STACK_OF(X509), StackFree> untrusted(sk_X509_new_null());
  for (size_t i = 1; i < chain.size(); ++i) sk_X509_push(untrusted.get(), chain[i].get());
  std::unique_ptr<X509_STORE_CTX, StoreCtxFree> ctx(X509_STORE_CTX_new());
  if (!ctx || X509_STORE_CTX_init(ctx.get(), store.get(), chain.front().get(), untrusted.get()) != 1)
    return make_error("cannot set up a certificate check (out of memory?)");
  // The purpose the cluster's links check: each side is both client and server.
  if (X509_verify_cert(ctx.get()) == 1) return ok_status();
  int err = X509_STORE_CTX_get_error(ctx.get());
  X509* at = X509_STORE_CTX_get_current_cert(ctx.get());
  ERR_clear_error();
  return make_error(std::string(X509_verify_cert_error_string(err)) + " (at '" +
                    subject_of(at ? at : chain.front().get()) + "')");
}

}  // namespace convene::tls
