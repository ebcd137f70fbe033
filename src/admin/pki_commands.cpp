// The `pki` command group: keys, CSRs, inspection, verification and a lab CA in the
// node's file area. Handlers are thin: they resolve file names, parse the
// KEY:value words and print; the logic (and its tests) lives in src/pki.
#include <filesystem>

#include "admin/command_registry.h"
#include "node/node.h"
#include "pki/catalog.h"
#include "pki/file_ops.h"
#include "pki/inspect.h"
#include "pki/request_args.h"
#include "pki/verify.h"

namespace convene {

namespace fs = std::filesystem;

namespace {

// A certificate that is this close to its end gets a warning wherever it is shown.
constexpr long kExpiryWarningDays = 30;

const std::vector<std::string> kRequestKeys = {"CN", "OU", "O", "L", "ST", "C", "subjectAltName"};

std::vector<std::string> with(std::vector<std::string> keys, std::initializer_list<std::string> more) {
  keys.insert(keys.end(), more);
  return keys;
}

// Prints multi-line text without the final newline (print adds one).
void print_text(CommandRequest& req, std::string text) {
  while (!text.empty() && text.back() == '\n') text.pop_back();
  req.io.print(text);
}

// An argument error shows what is wrong, then the command's usage line.
Error usage_error(const Error& e, const std::string& usage) {
  std::string hint = e.hint.empty() ? "" : e.hint + "\n";
  return make_error(e.message, hint + "Usage: " + usage);
}

// "server", "server.key" and "server.csr" all name the basename "server".
std::string strip_extension(const std::string& name) {
  for (const char* ext : {".key", ".csr", ".crt", ".cer", ".pem"}) {
    std::string e = ext;
    if (name.size() > e.size() && name.compare(name.size() - e.size(), e.size(), e) == 0)
      return name.substr(0, name.size() - e.size());
  }
  return name;
}

// The CA's certificate file for a basename: <base>.crt, else <base>.cer or .pem.
Result<fs::path> ca_certificate_file(const NodePaths& paths, const std::string& base) {
  for (const char* ext : {".crt", ".cer", ".pem"})
    if (auto p = paths.existing_file(base + ext)) return p;
  return make_error("CA certificate '" + base + ".crt' not found",
                    "Create a lab CA with 'pki ca create " + base + "', or give the basename of an existing one.");
}

std::string validity_phrase(const pki::CertificateInfo& info, pki::Time now) {
  switch (pki::validity_at(info, now)) {
    case pki::Validity::kExpired: return "EXPIRED " + pki::days_phrase(pki::days_since_expiry(info, now)) + " ago";
    case pki::Validity::kNotYetValid: return "not yet valid, starts " + pki::format_time(info.not_before);
    case pki::Validity::kValid: break;
  }
  return "expires " + pki::format_time(info.not_after) + ", in " + pki::days_phrase(pki::days_left(info, now));
}

// --- handlers -------------------------------------------------------------

const char* kCsrUsage = "<basename> [CN:<name>] [OU:<unit>] [O:<organization>] [L:<locality>] [ST:<state>] "
                        "[C:<country>] [subjectAltName:<name>,<name>..]";

Status csr(CommandRequest& req, const std::string& usage) {
  auto args = pki::parse_arg_words(req.args, kRequestKeys, 1, 1);
  if (!args) return usage_error(args.error(), usage);
  auto request = pki::request_from_args(*args);
  if (!request) return usage_error(request.error(), usage);
  std::string base = strip_extension(args->positional[0]);
  auto key = req.node.paths().file(base + ".key");
  if (!key) return key.error();
  auto csr = req.node.paths().file(base + ".csr");
  if (!csr) return csr.error();
  CONVENE_TRY(pki::create_key_and_csr(*key, *csr, *request));
  req.io.print("Created key file " + base + ".key and CSR " + base + ".csr");
  req.io.print("CSR file " + base + ".csr ready for download via SFTP");
  return ok_status();
}

Status list(CommandRequest& req) {
  print_text(req, pki::render_catalog(pki::catalog_directory(req.node.paths().files()), pki::current_time()));
  return ok_status();
}

Status inspect(CommandRequest& req) {
  auto path = req.node.paths().existing_file(req.args[0]);
  if (!path) return path.error();
  auto text = pki::inspect_file(*path, pki::current_time());
  if (!text) return text.error();
  req.io.print("Checking user configured certificates and keys...found");
  print_text(req, *text);
  return ok_status();
}

Status verify(CommandRequest& req) {
  auto cert = req.node.paths().existing_file(req.args[0]);
  if (!cert) return cert.error();
  fs::path trust;
  if (req.args.size() > 1) {
    auto p = req.node.paths().existing_file(req.args[1]);
    if (!p) return p.error();
    trust = *p;
  }
  auto now = pki::current_time();
  auto report = pki::verify_chain_files(*cert, trust, now);
  CONVENE_TRY(report.status());
  req.io.print("Certificate verified OK");
  req.io.print("Chain (leaf first):");
  for (size_t i = 0; i < report.chain.size(); ++i) {
    const auto& c = report.chain[i];
    req.io.print("  " + std::to_string(i) + ": " + c.subject.to_string() + " (" + validity_phrase(c, now) +
                 (c.self_signed ? ", root" : "") + ")");
  }
  for (const auto& c : report.chain)
    if (pki::expires_within(c, now, kExpiryWarningDays))
      req.io.print("WARNING: '" + c.subject.to_string() + "' expires in " + pki::days_phrase(pki::days_left(c, now)) +
                   "; renew it soon");
  return ok_status();
}

Status match(CommandRequest& req) {
  auto key = req.node.paths().existing_file(req.args[0]);
  if (!key) return key.error();
  auto cert = req.node.paths().existing_file(req.args[1]);
  if (!cert) return cert.error();
  CONVENE_TRY(pki::check_key_cert_files(*key, *cert));
  req.io.print("Private key " + req.args[0] + " matches certificate " + req.args[1]);
  return ok_status();
}

// Shared by selfsigned and ca create: a new key and a self-signed certificate.
Status self_signed(CommandRequest& req, const std::string& usage, bool is_ca) {
  auto args = pki::parse_arg_words(req.args, with(kRequestKeys, {"days"}), 1, 1);
  if (!args) return usage_error(args.error(), usage);
  auto request = pki::request_from_args(*args);
  if (!request) return usage_error(request.error(), usage);
  std::string base = strip_extension(args->positional[0]);
  if (request->subject.empty()) request->subject.entries.push_back({"CN", is_ca ? base + " lab CA" : base});
  pki::IssueOptions options;
  options.is_ca = is_ca;
  auto days = pki::integer_arg(*args, "days", is_ca ? 3650 : 365, 1, 36500);
  if (!days) return usage_error(days.error(), usage);
  options.days = *days;
  auto key = req.node.paths().file(base + ".key");
  if (!key) return key.error();
  auto cert = req.node.paths().file(base + ".crt");
  if (!cert) return cert.error();
  CONVENE_TRY(pki::create_self_signed(*key, *cert, *request, options, pki::current_time()));
  req.io.print(std::string("Created key file ") + base + ".key and " + (is_ca ? "CA certificate " : "self-signed certificate ") +
               base + ".crt (" + request->subject.to_string() + ", valid " + std::to_string(options.days) + " days)");
  if (is_ca) req.io.print("Sign CSRs with: pki ca sign <csr-file> <cert-file> " + base);
  return ok_status();
}

Status ca_sign(CommandRequest& req, const std::string& usage) {
  auto args = pki::parse_arg_words(req.args, {"days", "start", "ca", "bundle"}, 3, 3);
  if (!args) return usage_error(args.error(), usage);
  pki::IssueOptions options;
  auto days = pki::integer_arg(*args, "days", 365, 1, 36500);
  if (!days) return usage_error(days.error(), usage);
  auto start = pki::integer_arg(*args, "start", 0, -36500, 36500);
  if (!start) return usage_error(start.error(), usage);
  auto is_ca = pki::yes_no_arg(*args, "ca", false);
  if (!is_ca) return usage_error(is_ca.error(), usage);
  auto bundle = pki::yes_no_arg(*args, "bundle", false);
  if (!bundle) return usage_error(bundle.error(), usage);
  options.days = *days;
  options.start_days = *start;
  options.is_ca = *is_ca;

  const auto& paths = req.node.paths();
  auto csr = paths.existing_file(args->positional[0]);
  if (!csr) return csr.error();
  const std::string& out_name = args->positional[1];
  if (out_name.size() > 4 && out_name.compare(out_name.size() - 4, 4, ".key") == 0)
    return make_error("'" + out_name + "' looks like a key file name", "Give the certificate file to write, e.g. server.crt.");
  auto out = paths.file(out_name);
  if (!out) return out.error();
  std::string ca_base = strip_extension(args->positional[2]);
  auto ca_cert = ca_certificate_file(paths, ca_base);
  if (!ca_cert) return ca_cert.error();
  auto ca_key = paths.existing_file(ca_base + ".key");
  if (!ca_key) return ca_key.error();

  auto now = pki::current_time();
  CONVENE_TRY(pki::sign_csr_file(*csr, *out, *ca_cert, *ca_key, options, now, *bundle));
  req.io.print("Signed " + args->positional[0] + " with CA " + ca_cert->filename().string() + ": wrote " + out_name +
               (*bundle ? " (with the CA chain appended)" : ""));
  if (auto certs = pki::load_certificates(*out); certs)
    if (auto info = pki::read_certificate_info(certs->front().get()); info) {
      req.io.print("  Subject : " + info->subject.to_string());
      if (!info->sans.empty()) req.io.print("  SANs    : " + pki::to_string(info->sans));
      req.io.print("  Validity: " + pki::format_time(info->not_before) + " to " + pki::format_time(info->not_after));
      req.io.print("  " + pki::validity_sentence(*info, now));
    }
  return ok_status();
}

}  // namespace

void register_pki_commands(CommandRegistry& registry) {
  auto add = [&](std::vector<std::string> words, std::string usage, std::string help, size_t min_args,
                 size_t max_args, std::function<Status(CommandRequest&, const std::string&)> fn) {
    std::string full = CommandSpec{words, usage, "", 0, 0, {}}.full_usage();
    registry.add({std::move(words), std::move(usage), std::move(help), min_args, max_args,
                  [fn = std::move(fn), full](CommandRequest& req) { return fn(req, full); }});
  };
  add({"pki", "csr"}, kCsrUsage, "new RSA 2048 private key <basename>.key and certificate request <basename>.csr", 1, 8,
      csr);
  add({"pki", "list"}, "", "keys, certificates and requests in the file area, with subject and expiry", 0, 0,
      [](CommandRequest& req, const std::string&) { return list(req); });
  add({"pki", "inspect"}, "<file>", "show what a PEM file holds: certificates (bundles too), keys, requests", 1, 1,
      [](CommandRequest& req, const std::string&) { return inspect(req); });
  add({"pki", "verify"}, "<cert> [<ca-bundle>]",
      "check the chain and dates of a certificate (or bundle) against a CA bundle, or its own root", 1, 2,
      [](CommandRequest& req, const std::string&) { return verify(req); });
  add({"pki", "match"}, "<key> <cert>", "check that a private key belongs to a certificate", 2, 2,
      [](CommandRequest& req, const std::string&) { return match(req); });
  add({"pki", "selfsigned"}, "<basename> [CN:<name>] [subjectAltName:<name>,<name>..] [days:<N>]",
      "lab use: new key <basename>.key and self-signed certificate <basename>.crt", 1, 9,
      [](CommandRequest& req, const std::string& usage) { return self_signed(req, usage, false); });
  add({"pki", "ca", "create"}, "<basename> [CN:<name>] [days:<N>]",
      "lab CA: new CA key <basename>.key and CA certificate <basename>.crt", 1, 8,
      [](CommandRequest& req, const std::string& usage) { return self_signed(req, usage, true); });
  add({"pki", "ca", "sign"},
      "<csr-file> <cert-file> <ca-basename> [days:<N>] [start:<+-days>] [ca:yes] [bundle:yes]",
      "lab CA: sign a CSR (subject and SANs copied); start:-400 days:30 makes an expired certificate", 3, 7, ca_sign);
}

}  // namespace convene
