#pragma once
// What a certificate says, as plain values: the facts `pki inspect`, `pki list`,
// the database cluster status ("(expired)") and the expiry warnings are made from.
#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "pki/key.h"
#include "pki/name.h"
#include "pki/openssl_ptr.h"
#include "util/result.h"

namespace convene::pki {

// Seconds since the epoch, UTC. Every date decision takes `now` as a parameter so
// tests (and a node's injected clock) choose the time.
using Time = std::chrono::sys_seconds;
Time current_time();

// "Mar  9 08:47:17 2015 GMT", the form of OpenSSL and of CMS's `pki inspect`.
std::string format_time(Time t);

struct CertificateInfo {
  int version = 0;                   // 1..3
  std::string serial;                // "11:02:ce:3b:00:06:00:00:00:a7"
  std::string signature_algorithm;   // "sha256WithRSAEncryption"
  DistinguishedName issuer;
  DistinguishedName subject;
  Time not_before{};
  Time not_after{};
  KeyInfo public_key;
  std::vector<AltName> sans;
  bool has_basic_constraints = false;
  bool is_ca = false;                // may sign certificates (basicConstraints CA:TRUE)
  std::optional<long> path_length;   // basicConstraints pathlen, when given
  bool self_signed = false;          // issuer == subject and its own key verifies it

  // The name to show in one line: the CN, or the whole subject without one.
  std::string display_name() const;
};

Result<CertificateInfo> read_certificate_info(const X509* cert);

enum class Validity { kNotYetValid, kValid, kExpired };
Validity validity_at(const CertificateInfo& cert, Time now);

// Days until notAfter, rounded to the nearest whole day; negative once expired.
long days_left(const CertificateInfo& cert, Time now);
// Days since notAfter, rounded to the nearest whole day (0: expired hours ago).
long days_since_expiry(const CertificateInfo& cert, Time now);
// True when the certificate is expired or will be within `days` days.
bool expires_within(const CertificateInfo& cert, Time now, long days);

// "Certificate is valid (expires in 300 days)", "Certificate has EXPIRED (3 days ago)",
// "Certificate is NOT YET VALID (valid in 2 days)".
std::string validity_sentence(const CertificateInfo& cert, Time now);

// "1 day", "5 days", "less than a day".
std::string days_phrase(long days);

}  // namespace convene::pki
