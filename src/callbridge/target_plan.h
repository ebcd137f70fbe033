#pragma once
// Which XMPP server to try next. Either one fixed address (the operator set a server
// address: connect only there), or the ordered targets of the
// _xmpp-component._tcp.<domain> SRV records, tried one at a time. The plan is
// exhausted when every target has been tried once since the last resolution; the
// connector then backs off and resolves again. Records also go stale when their TTL
// runs out.
#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "dns/srv_order.h"
#include "util/result.h"

namespace convene::callbridge {

// "host:port" (or "[v6]:port"); the port defaults to 5223.
Result<dns::SrvTarget> parse_server_address(const std::string& text);

class TargetPlan {
 public:
  using clock = std::chrono::steady_clock;

  static TargetPlan fixed(dns::SrvTarget server);
  static TargetPlan from_srv(std::string record_name);

  bool is_fixed() const { return fixed_; }
  const std::string& record_name() const { return record_; }

  // SRV mode: true when there is nothing (fresh) to try and the records must be looked up.
  bool needs_resolve(clock::time_point now) const;
  // Replace the targets with freshly ordered ones, valid for `ttl` (at least 1 s).
  void set_targets(std::vector<dns::SrvTarget> ordered, std::chrono::seconds ttl, clock::time_point now);

  // The next target in order, or nullopt when all have been tried (see restart()).
  std::optional<dns::SrvTarget> next();
  bool exhausted() const { return index_ >= targets_.size(); }
  // Start over: a fixed plan tries its server again; an SRV plan forces a new look-up.
  void restart();

  const std::vector<dns::SrvTarget>& targets() const { return targets_; }

 private:
  bool fixed_ = false;
  std::string record_;
  std::vector<dns::SrvTarget> targets_;
  size_t index_ = 0;
  bool resolved_ = false;
  clock::time_point expires_{};
};

}  // namespace convene::callbridge
