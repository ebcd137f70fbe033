#include "dbcluster/status_view.h"

namespace convene::dbcluster {

namespace {
std::string pad(const std::string& s, size_t width) {
  return s.size() + 1 > width ? s + " " : s + std::string(width - s.size(), ' ');
}
std::string field(const std::string& label, const std::string& value) { return pad(label, 22) + ": " + value + "\n"; }
}  // namespace

namespace {
std::string validity_marker(const CertLine& line, pki::Time now) {
  switch (pki::validity_at(*line.info, now)) {
    case pki::Validity::kExpired: return " (expired)";
    case pki::Validity::kNotYetValid: return " (not yet valid)";
    case pki::Validity::kValid: break;
  }
  if (pki::expires_within(*line.info, now, kExpiryWarningDays))
    return " (expires in " + pki::days_phrase(pki::days_left(*line.info, now)) + ")";
  return "";
}
}  // namespace

std::string certificate_marker(const CertLine& line, pki::Time now) {
  if (line.file.empty()) return "";
  if (line.missing) return " (missing)";
  if (!line.info) return "";
  auto marker = validity_marker(line, now);
  if (!line.unnamed_address.empty()) marker += " (does not name " + line.unnamed_address + ")";
  return marker;
}

bool certificate_names(const pki::CertificateInfo& cert, const std::string& address) {
  bool any_name = false;
  for (const auto& san : cert.sans) {
    if (san.kind != pki::AltName::Kind::kIp && san.kind != pki::AltName::Kind::kDns) continue;
    any_name = true;
    if (san.value == address) return true;
  }
  return !any_name && cert.subject.get("CN") == address;
}

std::vector<std::string> expiry_warnings(const std::vector<CertLine>& certs, pki::Time now, bool include_expired) {
  std::vector<std::string> out;
  for (const auto& c : certs) {
    if (c.file.empty() || !c.info) continue;
    if (pki::validity_at(*c.info, now) == pki::Validity::kExpired) {
      if (include_expired)
        out.push_back(c.label + " " + c.file + " has expired (" +
                      pki::days_phrase(pki::days_since_expiry(*c.info, now)) + " ago)");
    } else if (pki::expires_within(*c.info, now, kExpiryWarningDays)) {
      out.push_back(c.label + " " + c.file + " expires in " + pki::days_phrase(pki::days_left(*c.info, now)));
    }
  }
  return out;
}

std::string render_status(const StatusView& v, pki::Time now) {
  std::string out;
  switch (v.state) {
    case StatusView::State::kDisabled: out += field("Status", "Disabled"); break;
    case StatusView::State::kEnabled: out += field("Status", "Enabled"); break;
    case StatusView::State::kDisabling:
      out += field("Status", "Disabling (Started " + std::to_string(v.disabling_seconds) + " seconds ago)");
      break;
  }
  if (v.state != StatusView::State::kDisabled) {
    out += "\nNodes:\n";
    for (const auto& n : v.nodes) out += "  " + pad(n.address + (n.me ? " (me)" : ""), 19) + ": " + n.state + "\n";
  }
  out += field("Node in use", v.node_in_use.empty() ? "None" : v.node_in_use);
  if (!v.failover.empty()) out += field("Failover", v.failover);
  for (const auto& [label, value] : v.replication) out += field(label, value);
  out += "\n";
  out += field("Interface", v.interface.empty() ? "None" : v.interface);
  out += "\nCertificates\n";
  for (const auto& c : v.certs)
    out += "  " + pad(c.label, 20) + ": " + (c.file.empty() ? "None" : c.file) + certificate_marker(c, now) + "\n";
  bool soon = false;
  for (const auto& c : v.certs)
    if (!c.file.empty() && c.info && pki::validity_at(*c.info, now) == pki::Validity::kValid &&
        pki::expires_within(*c.info, now, kExpiryWarningDays))
      soon = true;
  if (soon) {
    out += "\n";
    for (const auto& w : expiry_warnings(v.certs, now, /*include_expired=*/false))
      out += "WARNING: " + w + ": replace it with 'database cluster certs' (the cluster keeps running)\n";
  }
  if (!v.last_command.empty()) {
    out += "\n";
    out += field("Last command", "'" + v.last_command + "' " + (v.last_ok ? "(Success)" : "(Failed: " + v.last_error + ")"));
  }
  return out;
}

}  // namespace convene::dbcluster
