#pragma once
// Test-only helpers (included by *_test.cpp only): build CAs, intermediates and
// leaves at test time, so no key is ever committed. EC P-256 keys keep tests fast.
#include <gtest/gtest.h>

#include <chrono>
#include <string>

#include "pki/csr.h"
#include "pki/key.h"
#include "pki/lab_ca.h"

namespace convene::pki::testing {

// A fixed "now" so dates in expectations are stable: 2025-06-01 12:00:00 UTC.
inline Time fixed_now() { return Time(std::chrono::seconds(1748779200)); }

inline KeySpec fast_key() { return KeySpec{KeySpec::Type::kEc, 0, "P-256"}; }

inline CsrRequest request_for(const std::string& cn, std::vector<AltName> sans = {}) {
  CsrRequest r;
  r.subject.entries = {{"O", "Convene Test"}, {"CN", cn}};
  r.sans = std::move(sans);
  return r;
}

struct Issued {
  EvpPkeyPtr key;
  X509Ptr cert;
};

inline Issued make_root(const std::string& cn, Time now = fixed_now(), long days = 3650, long start = -1) {
  Issued out;
  out.key = std::move(generate_key(fast_key()).value());
  IssueOptions o;
  o.is_ca = true;
  o.days = days;
  o.start_days = start;
  auto cert = make_self_signed(request_for(cn), out.key.get(), o, now);
  EXPECT_TRUE(cert.ok()) << (cert.ok() ? "" : cert.error().text());
  out.cert = std::move(cert.value());
  return out;
}

// A certificate for a new key, signed by `issuer` via a real CSR.
inline Issued issue(const Issued& issuer, const std::string& cn, IssueOptions options = {},
                    std::vector<AltName> sans = {}, Time now = fixed_now()) {
  Issued out;
  out.key = std::move(generate_key(fast_key()).value());
  auto csr = make_csr(request_for(cn, std::move(sans)), out.key.get());
  EXPECT_TRUE(csr.ok());
  auto cert = sign_csr(csr->get(), issuer.cert.get(), issuer.key.get(), options, now);
  EXPECT_TRUE(cert.ok()) << (cert.ok() ? "" : cert.error().text());
  out.cert = std::move(cert.value());
  return out;
}

inline IssueOptions window(long start_days, long days, bool is_ca = false) {
  IssueOptions o;
  o.start_days = start_days;
  o.days = days;
  o.is_ca = is_ca;
  return o;
}

inline CertificateList list_of(std::initializer_list<const Issued*> items) {
  CertificateList out;
  for (auto* i : items) out.push_back(share(i->cert.get()));
  return out;
}

}  // namespace convene::pki::testing
