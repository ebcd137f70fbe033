#include "dns/resolver.h"

#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <ares.h>
#include <netdb.h>
#include <poll.h>
#include <resolv.h>

#include <algorithm>
#include <mutex>

namespace convene::dns {

namespace {

std::once_flag g_library_init;

// Runs the c-ares channel until every pending query has finished.
void wait_for_queries(ares_channel channel) {
  while (true) {
    ares_socket_t socks[ARES_GETSOCK_MAXNUM];
    int bits = ares_getsock(channel, socks, ARES_GETSOCK_MAXNUM);
    std::vector<pollfd> fds;
    for (int i = 0; i < ARES_GETSOCK_MAXNUM; ++i) {
      short events = 0;
      if (ARES_GETSOCK_READABLE(bits, i)) events |= POLLIN;
      if (ARES_GETSOCK_WRITABLE(bits, i)) events |= POLLOUT;
      if (events) fds.push_back({socks[i], events, 0});
    }
    if (fds.empty()) return;  // nothing pending
    timeval tv{}, max{1, 0};
    timeval* left = ares_timeout(channel, &max, &tv);
    int ms = static_cast<int>(left->tv_sec * 1000 + left->tv_usec / 1000);
    int n = ::poll(fds.data(), fds.size(), ms);
    if (n <= 0) {
      ares_process_fd(channel, ARES_SOCKET_BAD, ARES_SOCKET_BAD);  // time-outs
      continue;
    }
    for (auto& p : fds)
      ares_process_fd(channel, (p.revents & (POLLIN | POLLERR | POLLHUP)) ? p.fd : ARES_SOCKET_BAD,
                      (p.revents & POLLOUT) ? p.fd : ARES_SOCKET_BAD);
  }
}

std::string dns_error(int status) {
  switch (status) {
    case ARES_ENOTFOUND: return "no such name (NXDOMAIN)";
    case ARES_ENODATA: return "no records of that type";
    case ARES_ETIMEOUT: return "no answer from the DNS server (time-out)";
    case ARES_ECONNREFUSED: return "the DNS server refused the connection";
    case ARES_ESERVFAIL: return "the DNS server failed (SERVFAIL)";
    case ARES_EREFUSED: return "the DNS server refused the query";
    default: return ares_strerror(status);
  }
}

struct QueryResult {
  int status = ARES_ETIMEOUT;
  std::vector<unsigned char> answer;
};

// Parses SRV records with libresolv, which keeps each record's TTL.
Result<SrvAnswer> parse_srv(const std::vector<unsigned char>& answer, const std::string& name) {
  ns_msg msg;
  if (ns_initparse(answer.data(), static_cast<int>(answer.size()), &msg) != 0)
    return make_error("DNS lookup of " + name + " failed: malformed answer");
  SrvAnswer out;
  uint32_t min_ttl = UINT32_MAX;
  for (int i = 0; i < ns_msg_count(msg, ns_s_an); ++i) {
    ns_rr rr;
    if (ns_parserr(&msg, ns_s_an, i, &rr) != 0 || ns_rr_type(rr) != ns_t_srv || ns_rr_rdlen(rr) < 7) continue;
    const unsigned char* rd = ns_rr_rdata(rr);
    SrvTarget t;
    t.priority = ns_get16(rd);
    t.weight = ns_get16(rd + 2);
    t.port = ns_get16(rd + 4);
    char host[NS_MAXDNAME];
    if (dn_expand(ns_msg_base(msg), ns_msg_end(msg), rd + 6, host, sizeof host) < 0) continue;
    t.host = host;
    if (t.host.empty()) t.host = ".";
    out.targets.push_back(std::move(t));
    min_ttl = std::min(min_ttl, ns_rr_ttl(rr));
  }
  if (out.targets.empty()) return make_error("DNS lookup of " + name + " failed: " + dns_error(ARES_ENODATA));
  out.ttl = std::chrono::seconds(min_ttl);
  return out;
}

}  // namespace

struct Resolver::Impl {
  ares_channel channel = nullptr;
  ~Impl() {
    if (channel) ares_destroy(channel);
  }
};

Resolver::Resolver(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Resolver::~Resolver() = default;

Result<std::unique_ptr<Resolver>> Resolver::create(const std::string& servers, std::chrono::milliseconds timeout) {
  std::call_once(g_library_init, [] { ares_library_init(ARES_LIB_INIT_ALL); });
  auto impl = std::make_unique<Impl>();
  ares_options opts{};
  opts.flags = ARES_FLAG_NOSEARCH;  // names are absolute: no search-domain guesses
  opts.timeout = static_cast<int>(timeout.count());
  opts.tries = 2;
  int status = ares_init_options(&impl->channel, &opts, ARES_OPT_FLAGS | ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES);
  if (status != ARES_SUCCESS) return make_error(std::string("DNS resolver: ") + ares_strerror(status));
  if (!servers.empty()) {
    status = ares_set_servers_ports_csv(impl->channel, servers.c_str());
    if (status != ARES_SUCCESS)
      return make_error("bad DNS server list '" + servers + "'", "Give host:port pairs, e.g. 127.0.0.1:5300");
  }
  return std::unique_ptr<Resolver>(new Resolver(std::move(impl)));
}

Result<SrvAnswer> Resolver::srv(const std::string& name) {
  QueryResult result;
  ares_query(
      impl_->channel, name.c_str(), ns_c_in, ns_t_srv,
      [](void* arg, int status, int, unsigned char* abuf, int alen) {
        auto* r = static_cast<QueryResult*>(arg);
        r->status = status;
        if (status == ARES_SUCCESS && abuf) r->answer.assign(abuf, abuf + alen);
      },
      &result);
  wait_for_queries(impl_->channel);
  if (result.status != ARES_SUCCESS) return make_error("DNS lookup of " + name + " failed: " + dns_error(result.status));
  return parse_srv(result.answer, name);
}

Result<std::vector<std::string>> Resolver::addresses(const std::string& host) {
  in6_addr probe;
  if (inet_pton(AF_INET, host.c_str(), &probe) == 1 || inet_pton(AF_INET6, host.c_str(), &probe) == 1)
    return std::vector<std::string>{host};
  struct Out {
    int status = ARES_ETIMEOUT;
    std::vector<std::string> addresses;
  } out;
  ares_addrinfo_hints hints{};
  hints.ai_family = AF_UNSPEC;
  ares_getaddrinfo(
      impl_->channel, host.c_str(), nullptr, &hints,
      [](void* arg, int status, int, ares_addrinfo* info) {
        auto* o = static_cast<Out*>(arg);
        o->status = status;
        if (status != ARES_SUCCESS || !info) return;
        for (auto* n = info->nodes; n; n = n->ai_next) {
          char text[INET6_ADDRSTRLEN] = {};
          const void* addr = n->ai_family == AF_INET
                                 ? static_cast<const void*>(&reinterpret_cast<sockaddr_in*>(n->ai_addr)->sin_addr)
                                 : static_cast<const void*>(&reinterpret_cast<sockaddr_in6*>(n->ai_addr)->sin6_addr);
          if (inet_ntop(n->ai_family, addr, text, sizeof text)) o->addresses.emplace_back(text);
        }
        ares_freeaddrinfo(info);
      },
      &out);
  wait_for_queries(impl_->channel);
  if (out.status != ARES_SUCCESS || out.addresses.empty())
    return make_error("DNS lookup of " + host + " failed: " + dns_error(out.status == ARES_SUCCESS ? ARES_ENODATA : out.status));
  return out.addresses;
}

}  // namespace convene::dns
