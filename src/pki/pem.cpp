#include "pki/pem.h"

#include <openssl/pem.h>

#include <system_error>

#include "util/files.h"

namespace convene::pki {

namespace {

constexpr std::string_view kBegin = "-----BEGIN ";
constexpr std::string_view kDashes = "-----";
// A certificate file is a few KB; a bigger one is something else (a backup, an image).
constexpr std::uintmax_t kMaxPemFileSize = 4 * 1024 * 1024;

// Never prompt on the daemon's terminal for a passphrase: an encrypted key fails.
int no_password(char*, int, int, void*) { return -1; }

std::string count_phrase(size_t n, const std::string& what) {
  return n == 1 ? "a PEM encoded " + what : std::to_string(n) + " PEM encoded " + what + "s";
}

Error block_error(std::string_view source, size_t index, const std::string& label, const std::string& why) {
  return make_error("'" + std::string(source) + "': PEM block " + std::to_string(index) + " (" + label +
                        ") is damaged: " + why,
                    "Upload the file again, unchanged (binary/as-is transfer), or ask for a new copy.");
}

}  // namespace

std::string PemFile::describe() const {
  std::vector<std::string> parts;
  if (!certificates.empty()) parts.push_back(count_phrase(certificates.size(), "certificate"));
  if (!private_keys.empty()) parts.push_back(count_phrase(private_keys.size(), "private key"));
  if (!requests.empty()) parts.push_back(count_phrase(requests.size(), "certificate request"));
  std::string out;
  for (size_t i = 0; i < parts.size(); ++i) {
    if (i) out += (i + 1 == parts.size()) ? " and " : ", ";
    out += parts[i];
  }
  return out;
}

Result<PemFile> parse_pem(std::string_view text, std::string_view source) {
  PemFile out;
  const std::string name(source);
  size_t pos = 0, index = 0;
  while ((pos = text.find(kBegin, pos)) != std::string_view::npos) {
    ++index;
    size_t label_start = pos + kBegin.size();
    size_t label_end = text.find(kDashes, label_start);
    if (label_end == std::string_view::npos || text.substr(label_start, label_end - label_start).find('\n') != std::string_view::npos)
      return make_error("'" + name + "' has a malformed PEM BEGIN line", "Upload the file again, unchanged.");
    std::string label(text.substr(label_start, label_end - label_start));
    std::string end_line = "-----END " + label + "-----";
    size_t end = text.find(end_line, label_end);
    if (end == std::string_view::npos)
      return make_error("'" + name + "' is truncated: '-----BEGIN " + label + "-----' has no END line",
                        "Upload the whole file again.");
    end += end_line.size();
    std::string block(text.substr(pos, end - pos));
    block += "\n";
    pos = end;

    BioPtr bio(BIO_new_mem_buf(block.data(), static_cast<int>(block.size())));
    ERR_clear_error();
    if (label == "CERTIFICATE" || label == "X509 CERTIFICATE" || label == "TRUSTED CERTIFICATE") {
      X509* cert = label == "TRUSTED CERTIFICATE" ? PEM_read_bio_X509_AUX(bio.get(), nullptr, no_password, nullptr)
                                                  : PEM_read_bio_X509(bio.get(), nullptr, no_password, nullptr);
      if (!cert) return block_error(source, index, label, take_openssl_error());
      out.certificates.emplace_back(cert);
    } else if (label == "CERTIFICATE REQUEST" || label == "NEW CERTIFICATE REQUEST") {
      X509_REQ* req = PEM_read_bio_X509_REQ(bio.get(), nullptr, no_password, nullptr);
      if (!req) return block_error(source, index, label, take_openssl_error());
      out.requests.emplace_back(req);
    } else if (label == "ENCRYPTED PRIVATE KEY" || block.find("Proc-Type: 4,ENCRYPTED") != std::string::npos) {
      return make_error("'" + name + "' holds an encrypted private key",
                        "Convene needs the key without a passphrase: decrypt it on your workstation "
                        "(e.g. 'openssl pkey -in " + name + " -out plain.key') and upload that.");
    } else if (label == "PRIVATE KEY" || label == "RSA PRIVATE KEY" || label == "EC PRIVATE KEY") {
      EVP_PKEY* key = PEM_read_bio_PrivateKey(bio.get(), nullptr, no_password, nullptr);
      if (!key) return block_error(source, index, label, take_openssl_error());
      out.private_keys.emplace_back(key);
    } else if (label == "EC PARAMETERS") {
      // Written before EC keys by 'openssl ecparam -genkey'; carries nothing we need.
    } else {
      return make_error("'" + name + "' holds a PEM block of type '" + label + "', which is not supported",
                        "Give certificates, private keys or certificate requests in PEM form.");
    }
  }
  if (index == 0) {
    bool binary = !text.empty() && static_cast<unsigned char>(text[0]) == 0x30;
    if (binary)
      return make_error("'" + name + "' is not PEM: it looks like DER (binary) data",
                        "Convert it to PEM on your workstation, e.g. 'openssl x509 -inform der -in " + name +
                            " -out " + name + ".pem', and upload that.");
    return make_error("'" + name + "' is not a PEM file",
                      "A PEM file is text with '-----BEGIN ...-----' and '-----END ...-----' lines; check that you "
                      "gave the right file.");
  }
  if (out.empty()) return make_error("'" + name + "' holds no certificate, key or certificate request");
  return out;
}

Result<PemFile> load_pem_file(const std::filesystem::path& path) {
  const std::string name = path.filename().string();
  std::error_code ec;
  auto size = std::filesystem::file_size(path, ec);
  if (!ec && size > kMaxPemFileSize)
    return make_error("'" + name + "' is " + std::to_string(size / 1024) + " KB, too large for a PEM file",
                      "Check that you gave the right file.");
  auto text = read_file(path);
  if (!text) return text.error();
  return parse_pem(*text, name);
}

Result<CertificateList> load_certificates(const std::filesystem::path& path) {
  auto pem = load_pem_file(path);
  if (!pem) return pem.error();
  if (pem->certificates.empty())
    return make_error("'" + path.filename().string() + "' holds no certificate (it contains " + pem->describe() + ")",
                      "Give a certificate file (-----BEGIN CERTIFICATE-----).");
  return std::move(pem->certificates);
}

Result<EvpPkeyPtr> load_private_key(const std::filesystem::path& path) {
  auto pem = load_pem_file(path);
  if (!pem) return pem.error();
  if (pem->private_keys.size() != 1)
    return make_error("'" + path.filename().string() + "' must hold exactly one private key (it contains " +
                          (pem->private_keys.empty() ? pem->describe() : std::to_string(pem->private_keys.size()) + " keys") + ")",
                      "Give a private key file (-----BEGIN PRIVATE KEY-----).");
  return std::move(pem->private_keys.front());
}

Result<X509ReqPtr> load_csr(const std::filesystem::path& path) {
  auto pem = load_pem_file(path);
  if (!pem) return pem.error();
  if (pem->requests.size() != 1)
    return make_error("'" + path.filename().string() + "' must hold exactly one certificate request (it contains " +
                          (pem->requests.empty() ? pem->describe() : std::to_string(pem->requests.size()) + " requests") + ")",
                      "Give a CSR file (-----BEGIN CERTIFICATE REQUEST-----), e.g. one made with 'pki csr'.");
  return std::move(pem->requests.front());
}

std::string certificate_pem(X509* cert) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  PEM_write_bio_X509(bio.get(), cert);
  return bio_contents(bio.get());
}

std::string certificates_pem(const CertificateList& certs) {
  std::string out;
  for (const auto& c : certs) out += certificate_pem(c.get());
  return out;
}

std::string csr_pem(X509_REQ* csr) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  PEM_write_bio_X509_REQ(bio.get(), csr);
  return bio_contents(bio.get());
}

}  // namespace convene::pki
