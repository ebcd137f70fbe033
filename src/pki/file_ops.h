#pragma once
// The PKI operations that write files, each all-or-nothing: every input is checked
// and every object made in memory before the first byte is written, a failed second
// write removes the first, and a private key file is never overwritten (a lost key
// cannot be recovered; a lost certificate can be issued again). Keys are written
// with mode 0600. Paths are full paths; the admin layer resolves file-area names.
#include <filesystem>

#include "pki/csr.h"
#include "pki/key.h"
#include "pki/lab_ca.h"
#include "util/result.h"

namespace convene::pki {

// New key + CSR. Fails, writing nothing, if either file exists.
Status create_key_and_csr(const std::filesystem::path& key_file, const std::filesystem::path& csr_file,
                          const CsrRequest& request, const KeySpec& key_spec = {});

// New key + self-signed certificate (a root CA when options.is_ca). Fails, writing
// nothing, if either file exists.
Status create_self_signed(const std::filesystem::path& key_file, const std::filesystem::path& cert_file,
                          const CsrRequest& request, const IssueOptions& options, Time now,
                          const KeySpec& key_spec = {});

// Signs the CSR in `csr_file` with the CA's certificate and key, writing the new
// certificate to `cert_file`. An existing certificate there is replaced (renewal),
// but never a file holding a private key, a CSR, or the CA certificate itself.
// With `append_ca_chain` the output is a bundle: the new certificate followed by
// the CA file's certificates (which may themselves be a chain up to the root).
Status sign_csr_file(const std::filesystem::path& csr_file, const std::filesystem::path& cert_file,
                     const std::filesystem::path& ca_cert_file, const std::filesystem::path& ca_key_file,
                     const IssueOptions& options, Time now, bool append_ca_chain = false);

}  // namespace convene::pki
