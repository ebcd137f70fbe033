#pragma once
// The DNS self-check of `xmpp dns check` (seed 000's scenario 1: a node
// missing from the SRV records, so call bridges never fail over to it): compares
// the targets of one SRV record with the XMPP nodes that should serve it. Pure
// logic over look-up results, so it is unit-tested without DNS.
#include <functional>
#include <set>
#include <string>
#include <vector>

#include "dns/resolver.h"
#include "util/result.h"

namespace convene {

struct SrvCheck {
  std::vector<std::string> lines;  // what to print, one finding per line
  int problems = 0;
};

// `answer`: the SRV look-up of `record`; `addresses`: resolves a target host;
// `expected_port`: the port the nodes listen on for this service; `nodes`: the
// IP addresses of the nodes that should all be targets.
SrvCheck check_srv(const std::string& record, const Result<dns::SrvAnswer>& answer,
                   const std::function<Result<std::vector<std::string>>(const std::string&)>& addresses,
                   unsigned expected_port, const std::set<std::string>& nodes);

}  // namespace convene
