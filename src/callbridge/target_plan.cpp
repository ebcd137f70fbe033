#include "callbridge/target_plan.h"

#include "util/endpoint.h"

namespace convene::callbridge {

Result<dns::SrvTarget> parse_server_address(const std::string& text) {
  auto e = Endpoint::parse(text, 5223);
  if (!e) return make_error(e.code(), "server address '" + text + "': " + e.error().message);
  return dns::SrvTarget{e->host, e->port, 0, 0};
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
