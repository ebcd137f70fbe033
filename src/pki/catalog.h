#pragma once
// The PKI view of a directory (`pki list`): which files hold keys, certificates or
// requests, for whom, and until when. Other files (backups, logs) are left out.
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "pki/certificate_info.h"

namespace convene::pki {

struct CatalogEntry {
  std::string name;                      // file name
  std::string kind;                      // "certificate", "CA certificate", "bundle of 3 certificates",
                                         // "private key", "certificate request", "unreadable"
  std::string detail;                    // subject, or key summary, or the problem
  std::optional<CertificateInfo> leaf;   // first certificate, for dates
};

// Every regular file of `dir` that holds PEM, or carries a certificate/key file
// extension (.crt .cer .pem .key .csr .der .p12 .pfx) even when it cannot be read
// — an operator listing keys wants to see the broken one too. Sorted by name.
std::vector<CatalogEntry> catalog_directory(const std::filesystem::path& dir);

// One aligned line per entry: "name : kind, detail, expires <date> (N days)".
std::string render_catalog(const std::vector<CatalogEntry>& entries, Time now);

}  // namespace convene::pki
