#pragma once
// The text of `pki inspect`, in the shape of CMS's (seed 004): OpenSSL's
// "x509 -text" layout with two-space indents, followed by a plain status sentence
// an operator cannot misread ("Certificate has EXPIRED (3 days ago)").
#include <filesystem>
#include <string>

#include "pki/certificate_info.h"
#include "pki/csr.h"
#include "pki/pem.h"
#include "util/result.h"

namespace convene::pki {

// "Certificate:\n  Data:\n    Version: 3 (0x2)\n ..." ending with the validity sentence.
std::string render_certificate(const CertificateInfo& cert, Time now, const std::string& heading = "Certificate:");
std::string render_private_key(const KeyInfo& key);
std::string render_csr(const CsrInfo& csr);

// Everything after the "Checking ..." line: "File contains a PEM encoded certificate"
// (or "N PEM encoded certificates", keys, requests), then each item in file order.
Result<std::string> render_pem_file(const PemFile& file, Time now);

// load_pem_file + render_pem_file.
Result<std::string> inspect_file(const std::filesystem::path& path, Time now);

}  // namespace convene::pki
