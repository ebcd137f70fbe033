#include "pki/inspect.h"

namespace convene::pki {

namespace {

void line(std::string& out, int indent, const std::string& text) {
  out.append(static_cast<size_t>(indent), ' ');
  out += text;
  out += '\n';
}

void public_key_lines(std::string& out, const KeyInfo& key) {
  line(out, 4, "Subject Public Key Info:");
  line(out, 6, "Public Key Algorithm: " + key.algorithm);
  line(out, 6, "Public-Key: (" + std::to_string(key.bits) + " bit)");
  if (!key.curve.empty()) line(out, 6, "ASN1 OID: " + key.curve);
}

void san_lines(std::string& out, const std::vector<AltName>& sans) {
  if (sans.empty()) return;
  line(out, 4, "X509v3 Subject Alternative Name:");
  line(out, 6, to_string(sans));
}

}  // namespace

std::string render_certificate(const CertificateInfo& cert, Time now, const std::string& heading) {
  std::string out;
  line(out, 0, heading);
  line(out, 2, "Data:");
  char version[32];
  std::snprintf(version, sizeof version, "Version: %d (0x%x)", cert.version, cert.version - 1);
  line(out, 4, version);
  line(out, 4, "Serial Number:");
  line(out, 6, cert.serial);
  line(out, 4, "Signature Algorithm: " + cert.signature_algorithm);
  line(out, 4, "Issuer: " + cert.issuer.to_string());
  line(out, 4, "Validity:");
  line(out, 6, "Not Before: " + format_time(cert.not_before));
  line(out, 6, "Not After : " + format_time(cert.not_after));
  line(out, 4, "Subject: " + cert.subject.to_string());
  public_key_lines(out, cert.public_key);
  san_lines(out, cert.sans);
  line(out, 4, "X509v3 Basic Constraints:");
  if (!cert.has_basic_constraints) {
    line(out, 6, "none (not a CA)");
  } else {
    std::string bc = cert.is_ca ? "CA:TRUE" : "CA:FALSE";
    if (cert.path_length) bc += ", pathlen:" + std::to_string(*cert.path_length);
    line(out, 6, bc);
  }
  if (cert.self_signed) line(out, 0, "Certificate is self-signed");
  line(out, 0, validity_sentence(cert, now));
  return out;
}

std::string render_private_key(const KeyInfo& key) {
  std::string out;
  line(out, 0, "Private Key:");
  line(out, 2, "Algorithm: " + key.algorithm);
  line(out, 2, "Private-Key: (" + std::to_string(key.bits) + " bit)");
  if (!key.curve.empty()) line(out, 2, "ASN1 OID: " + key.curve);
  return out;
}

std::string render_csr(const CsrInfo& csr) {
  std::string out;
  line(out, 0, "Certificate Request:");
  line(out, 2, "Data:");
  line(out, 4, "Version: 1 (0x0)");
  line(out, 4, "Subject: " + csr.subject.to_string());
  public_key_lines(out, csr.public_key);
  san_lines(out, csr.sans);
  line(out, 0, csr.signature_ok ? "Request signature is valid" : "Request signature does NOT verify (damaged request)");
  return out;
}

Result<std::string> render_pem_file(const PemFile& file, Time now) {
  std::string out = "File contains " + file.describe() + "\n";
  const size_t n = file.certificates.size();
  for (size_t i = 0; i < n; ++i) {
    auto info = read_certificate_info(file.certificates[i].get());
    if (!info) return info.error();
    out += render_certificate(*info, now,
                              n == 1 ? "Certificate:" : "Certificate " + std::to_string(i + 1) + " of " + std::to_string(n) + ":");
  }
  for (const auto& key : file.private_keys) {
    out += render_private_key(key_info(key.get()));
    // A combined key+certificate file: say at once whether the pair is usable.
    if (n > 0) {
      bool match = check_key_cert_pair(key.get(), file.certificates.front().get()).ok();
      out += match ? "Private key matches the (first) certificate\n"
                   : "Private key does NOT match the (first) certificate\n";
    }
  }
  for (const auto& req : file.requests) {
    auto info = read_csr_info(req.get());
    if (!info) return info.error();
    out += render_csr(*info);
  }
  return out;
}

Result<std::string> inspect_file(const std::filesystem::path& path, Time now) {
  auto pem = load_pem_file(path);
  if (!pem) return pem.error();
  return render_pem_file(*pem, now);
}

}  // namespace convene::pki
