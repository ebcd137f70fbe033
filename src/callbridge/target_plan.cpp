#include "callbridge/target_plan.h"

#include <charconv>

namespace convene::callbridge {

Result<dns::SrvTarget> parse_server_address(const std::string& text) {
  std::string host = text;
  std::string port_text;
  if (!text.empty() && text.front() == '[') {
    auto close = text.find(']');
    if (close == std::string::npos) return make_error("server address '" + text + "': missing ']'");
    host = text.substr(1, close - 1);
    if (close + 1 < text.size()) {
      if (text[close + 1] != ':') return make_error("server address '" + text + "': expected ':' after ']'");
      port_text = text.substr(close + 2);
    }
  } else if (auto colon = text.rfind(':'); colon != std::string::npos) {
    if (text.find(':') != colon) return make_error("server address '" + text + "': write IPv6 addresses as [addr]:port");
    host = text.substr(0, colon);
    port_text = text.substr(colon + 1);
  }
  if (host.empty()) return make_error("server address '" + text + "': no host");
  unsigned port = 5223;
  if (!port_text.empty()) {
    auto [p, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
    if (ec != std::errc() || p != port_text.data() + port_text.size() || port == 0 || port > 65535)
      return make_error("server address '" + text + "': bad port '" + port_text + "'");
  }
  return dns::SrvTarget{host, static_cast<uint16_t>(port), 0, 0};
}

TargetPlan TargetPlan::fixed(dns::SrvTarget server) {
  TargetPlan p;
  p.fixed_ = true;
  p.targets_ = {std::move(server)};
  p.resolved_ = true;
  return p;
}

TargetPlan TargetPlan::from_srv(std::string record_name) {
  TargetPlan p;
  p.record_ = std::move(record_name);
  return p;
}

bool TargetPlan::needs_resolve(clock::time_point now) const {
  if (fixed_) return false;
  return !resolved_ || now >= expires_;
}

void TargetPlan::set_targets(std::vector<dns::SrvTarget> ordered, std::chrono::seconds ttl, clock::time_point now) {
  targets_ = std::move(ordered);
  index_ = 0;
  resolved_ = true;
  expires_ = now + std::max(ttl, std::chrono::seconds(1));
}

std::optional<dns::SrvTarget> TargetPlan::next() {
  if (index_ >= targets_.size()) return std::nullopt;
  return targets_[index_++];
}

void TargetPlan::restart() {
  index_ = 0;
  if (!fixed_) resolved_ = false;
}

}  // namespace convene::callbridge
