#pragma once
// DNS look-ups a call bridge needs: SRV records (with their TTL, so a client knows
// when to look again) and the addresses of a target host. Blocking with a bounded
// time-out: the caller is a connector thread that has nothing else to do meanwhile.
// The DNS server can be given explicitly ("127.0.0.1:5300") for tests and for
// sites with split DNS; otherwise the system's resolv.conf is used.
//
// Thread-safety: one Resolver per thread.
#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "dns/srv_order.h"
#include "util/result.h"

namespace convene::dns {

struct SrvAnswer {
  std::vector<SrvTarget> targets;   // as received (not yet ordered)
  std::chrono::seconds ttl{0};      // the smallest TTL among the records
};

class Resolver {
 public:
  // `servers`: comma-separated "host:port" list, or empty for the system's.
  static Result<std::unique_ptr<Resolver>> create(const std::string& servers = {},
                                                  std::chrono::milliseconds timeout = std::chrono::milliseconds(2000));
  ~Resolver();

  // The SRV records of `name` (e.g. "_xmpp-component._tcp.example.com"). The error
  // names the record and the DNS error ("no such name", "no SRV records", "time-out").
  Result<SrvAnswer> srv(const std::string& name);

  // IPv4 and IPv6 addresses of `host`, or its literal address.
  Result<std::vector<std::string>> addresses(const std::string& host);

 private:
  struct Impl;
  explicit Resolver(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace convene::dns
