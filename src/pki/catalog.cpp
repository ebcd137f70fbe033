#include "pki/catalog.h"

#include <algorithm>
#include <fstream>

#include "pki/csr.h"
#include "pki/pem.h"

namespace convene::pki {

namespace fs = std::filesystem;

namespace {

constexpr std::uintmax_t kMaxScanSize = 1024 * 1024;

bool has_pki_extension(const fs::path& p) {
  static const char* kExt[] = {".crt", ".cer", ".pem", ".key", ".csr", ".der", ".p12", ".pfx"};
  std::string ext = p.extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return std::tolower(c); });
  return std::find(std::begin(kExt), std::end(kExt), ext) != std::end(kExt);
}

bool looks_like_pem(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::string head(kMaxScanSize, '\0');
  in.read(head.data(), static_cast<std::streamsize>(head.size()));
  head.resize(static_cast<size_t>(in.gcount()));
  return head.find("-----BEGIN ") != std::string::npos;
}

CatalogEntry describe(const fs::path& path) {
  CatalogEntry e{path.filename().string(), "", "", std::nullopt};
  auto pem = load_pem_file(path);
  if (!pem) {
    e.kind = "unreadable";
    e.detail = pem.error().message;
    return e;
  }
  if (!pem->certificates.empty()) {
    auto info = read_certificate_info(pem->certificates.front().get());
    size_t n = pem->certificates.size();
    if (n > 1)
      e.kind = "bundle of " + std::to_string(n) + " certificates";
    else
      e.kind = info && info->is_ca ? "CA certificate" : "certificate";
    if (!pem->private_keys.empty()) e.kind += " + private key";
    if (info) {
      e.detail = info->subject.to_string();
      e.leaf = std::move(*info);
    }
  } else if (!pem->private_keys.empty()) {
    e.kind = "private key";
    e.detail = key_info(pem->private_keys.front().get()).summary();
  } else {
    e.kind = "certificate request";
    auto info = read_csr_info(pem->requests.front().get());
    if (info) e.detail = info->subject.to_string();
  }
  return e;
}

}  // namespace

std::vector<CatalogEntry> catalog_directory(const fs::path& dir) {
  std::vector<CatalogEntry> out;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    std::error_code fec;
    if (!entry.is_regular_file(fec)) continue;
    auto size = entry.file_size(fec);
    if (fec) continue;
    bool candidate = has_pki_extension(entry.path()) || (size <= kMaxScanSize && looks_like_pem(entry.path()));
    if (candidate) out.push_back(describe(entry.path()));
  }
  std::sort(out.begin(), out.end(), [](const CatalogEntry& a, const CatalogEntry& b) { return a.name < b.name; });
  return out;
}

std::string render_catalog(const std::vector<CatalogEntry>& entries, Time now) {
  if (entries.empty()) return "No keys, certificates or certificate requests in the file area\n";
  size_t width = 0;
  for (const auto& e : entries) width = std::max(width, e.name.size());
  std::string out;
  for (const auto& e : entries) {
    std::string text = e.name + std::string(width - e.name.size(), ' ') + " : " + e.kind;
    if (!e.detail.empty()) text += ", " + e.detail;
    if (e.leaf) {
      switch (validity_at(*e.leaf, now)) {
        case Validity::kExpired:
          text += ", EXPIRED " + format_time(e.leaf->not_after) + " (" + days_phrase(days_since_expiry(*e.leaf, now)) + " ago)";
          break;
        case Validity::kNotYetValid:
          text += ", NOT YET VALID (from " + format_time(e.leaf->not_before) + ")";
          break;
        case Validity::kValid:
          text += ", expires " + format_time(e.leaf->not_after) + " (" + days_phrase(days_left(*e.leaf, now)) + ")";
          break;
      }
    }
    out += text + "\n";
  }
  return out;
}

}  // namespace convene::pki
