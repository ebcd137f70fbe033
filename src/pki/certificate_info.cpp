#include "pki/certificate_info.h"

#include <openssl/objects.h>

#include <ctime>

namespace convene::pki {

namespace {

constexpr long kSecondsPerDay = 86400;

Result<Time> to_time(const ASN1_TIME* t, const char* which) {
  struct tm tm = {};
  if (!t || ASN1_TIME_to_tm(t, &tm) != 1) {
    ERR_clear_error();
    return make_error(std::string("certificate has an unreadable ") + which + " date");
  }
  return Time(std::chrono::seconds(timegm(&tm)));
}

std::string serial_text(const ASN1_INTEGER* serial) {
  const unsigned char* data = ASN1_STRING_get0_data(serial);
  int n = ASN1_STRING_length(serial);
  static const char kHex[] = "0123456789abcdef";
  std::string out;
  for (int i = 0; i < n; ++i) {
    if (i) out += ':';
    out += kHex[data[i] >> 4];
    out += kHex[data[i] & 0xf];
  }
  return out.empty() ? "00" : out;
}

// Nearest whole day: a certificate made for 365 days still says "365 days" a few
// seconds later, and one with a few hours left says "less than a day".
long whole_days(std::chrono::seconds s) {
  long n = static_cast<long>(s.count()) + kSecondsPerDay / 2;
  return n >= 0 ? n / kSecondsPerDay : -((-n + kSecondsPerDay - 1) / kSecondsPerDay);
}

}  // namespace

Time current_time() { return std::chrono::time_point_cast<std::chrono::seconds>(std::chrono::system_clock::now()); }

std::string format_time(Time t) {
  time_t tt = static_cast<time_t>(t.time_since_epoch().count());
  struct tm tm = {};
  gmtime_r(&tt, &tm);
  static const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  char buf[64];
  // Locale-independent on purpose: operators paste this into tickets.
  std::snprintf(buf, sizeof buf, "%s %2d %02d:%02d:%02d %d GMT", kMonths[tm.tm_mon], tm.tm_mday, tm.tm_hour, tm.tm_min,
                tm.tm_sec, tm.tm_year + 1900);
  return buf;
}

std::string CertificateInfo::display_name() const {
  std::string cn = subject.get("CN");
  return cn.empty() ? subject.to_string() : cn;
}

Result<CertificateInfo> read_certificate_info(const X509* cert) {
  CertificateInfo info;
  info.version = static_cast<int>(X509_get_version(cert)) + 1;
  info.serial = serial_text(X509_get0_serialNumber(cert));
  int sig_nid = X509_get_signature_nid(cert);
  info.signature_algorithm = sig_nid != NID_undef ? OBJ_nid2ln(sig_nid) : "unknown";
  info.issuer = read_name(X509_get_issuer_name(cert));
  info.subject = read_name(X509_get_subject_name(cert));
  auto nb = to_time(X509_get0_notBefore(cert), "notBefore");
  if (!nb) return nb.error();
  auto na = to_time(X509_get0_notAfter(cert), "notAfter");
  if (!na) return na.error();
  info.not_before = *nb;
  info.not_after = *na;
  if (const EVP_PKEY* key = X509_get0_pubkey(cert)) info.public_key = key_info(key);

  GeneralNamesPtr sans(static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(cert, NID_subject_alt_name, nullptr, nullptr)));
  info.sans = read_alt_names(sans.get());
  int crit = 0;
  BasicConstraintsPtr bc(static_cast<BASIC_CONSTRAINTS*>(X509_get_ext_d2i(cert, NID_basic_constraints, &crit, nullptr)));
  info.has_basic_constraints = bc != nullptr;
  if (bc) {
    info.is_ca = bc->ca != 0;
    if (bc->pathlen) info.path_length = ASN1_INTEGER_get(bc->pathlen);
  }
  // X509_get_extension_flags computes EXFLAG_SS (issuer == subject and, if present,
  // AKID matches SKID); the signature check makes "self-signed" literal.
  X509* mutable_cert = const_cast<X509*>(cert);  // X509_verify takes non-const in 3.0
  info.self_signed = (X509_get_extension_flags(mutable_cert) & EXFLAG_SS) != 0 &&
                     X509_verify(mutable_cert, X509_get0_pubkey(cert)) == 1;
  ERR_clear_error();
  return info;
}

Validity validity_at(const CertificateInfo& cert, Time now) {
  if (now < cert.not_before) return Validity::kNotYetValid;
  if (now > cert.not_after) return Validity::kExpired;
  return Validity::kValid;
}

long days_left(const CertificateInfo& cert, Time now) { return whole_days(cert.not_after - now); }

long days_since_expiry(const CertificateInfo& cert, Time now) { return whole_days(now - cert.not_after); }

bool expires_within(const CertificateInfo& cert, Time now, long days) {
  return cert.not_after - now < std::chrono::seconds(days * kSecondsPerDay);
}

std::string days_phrase(long days) {
  if (days == 0) return "less than a day";
  return std::to_string(days) + (days == 1 ? " day" : " days");
}

std::string validity_sentence(const CertificateInfo& cert, Time now) {
  switch (validity_at(cert, now)) {
    case Validity::kExpired:
      return "Certificate has EXPIRED (" + days_phrase(days_since_expiry(cert, now)) + " ago)";
    case Validity::kNotYetValid:
      return "Certificate is NOT YET VALID (valid in " + days_phrase(whole_days(cert.not_before - now)) + ")";
    case Validity::kValid: break;
  }
  return "Certificate is valid (expires in " + days_phrase(days_left(cert, now)) + ")";
}

}  // namespace convene::pki
