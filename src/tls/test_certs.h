#pragma once
// Test-only helper (header only, used by *_test.cpp files): makes CAs and
// certificates at test time with the `openssl` command-line tool, so tests run
// real TLS without depending on src/pki. Every function throws std::runtime_error
// on failure (start-up/programmer error in a test, not an expected failure).
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace convene::testing {

struct TestCert {
  std::filesystem::path key;
  std::filesystem::path cert;
};

inline void run_openssl(const std::string& args) {
  std::string cmd = "openssl " + args + " >/dev/null 2>&1";
  if (std::system(cmd.c_str()) != 0) throw std::runtime_error("failed: " + cmd);
}

// A self-signed certificate usable as a CA and as a peer's own certificate
// (the seed's lab: one certificate shared by all nodes).
inline TestCert make_self_signed(const std::filesystem::path& dir, const std::string& name) {
  TestCert c{dir / (name + ".key"), dir / (name + ".crt")};
  run_openssl("req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 30 -subj /CN=" +
              name + " -keyout " + c.key.string() + " -out " + c.cert.string() +
              " -addext extendedKeyUsage=serverAuth,clientAuth");
  return c;
}

inline TestCert make_ca(const std::filesystem::path& dir, const std::string& name) {
  TestCert c{dir / (name + ".key"), dir / (name + ".crt")};
  run_openssl("req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 30 -subj /CN=" +
              name + " -keyout " + c.key.string() + " -out " + c.cert.string() +
              " -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign");
  return c;
}

// A leaf certificate for `name`, signed by `ca`, for both server and client use;
// its subjectAltName is `san` (OpenSSL syntax), or DNS:<name> when empty.
inline TestCert make_leaf(const std::filesystem::path& dir, const std::string& name, const TestCert& ca,
                          const std::string& san = "") {
  TestCert c{dir / (name + ".key"), dir / (name + ".crt")};
  auto csr = dir / (name + ".csr");
  auto ext = dir / (name + ".ext");
  {
    std::ofstream out(ext);
    out << "basicConstraints=CA:FALSE\nkeyUsage=digitalSignature\n"
           "extendedKeyUsage=serverAuth,clientAuth\nsubjectAltName="
        << (san.empty() ? "DNS:" + name : san) << "\n";
  }
  run_openssl("req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=" + name +
              " -keyout " + c.key.string() + " -out " + csr.string());
  run_openssl("x509 -req -days 30 -in " + csr.string() + " -CA " + ca.cert.string() + " -CAkey " +
              ca.key.string() + " -CAcreateserial -extfile " + ext.string() + " -out " + c.cert.string());
  return c;
}

// Concatenates PEM files (a bundle).
inline std::filesystem::path concat_files(const std::filesystem::path& out,
                                          const std::vector<std::filesystem::path>& parts) {
  std::ofstream o(out, std::ios::binary);
  for (auto& p : parts) {
    std::ifstream in(p, std::ios::binary);
    o << in.rdbuf();
  }
  return out;
}

}  // namespace convene::testing
