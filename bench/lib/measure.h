// convene-bench's measurements: the clock, CPU time of the tool and of the server
// under test (/proc), the server's RSS, and latency percentiles.
#pragma once
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

namespace convene::bench {

uint64_t now_ns();
double cpu_self_s();
// utime+stime of a process (all threads), seconds; -1 when unknown.
double cpu_of(int pid);
// VmRSS of a process, KiB; -1 when unknown.
long rss_kib(int pid);

struct Stats {
  std::vector<uint64_t> ns;
  void add(uint64_t v) { ns.push_back(v); }
  double pct_ms(double p) {
    if (ns.empty()) return 0;
    size_t i = std::min(ns.size() - 1, size_t(p * double(ns.size())));
    std::nth_element(ns.begin(), ns.begin() + long(i), ns.end());
    return double(ns[i]) / 1e6;
  }
  double max_ms() const { return ns.empty() ? 0 : double(*std::max_element(ns.begin(), ns.end())) / 1e6; }
};

// CPU shares over a window: the tool's (getrusage) and the server's (/proc), 0..1 of a core.
struct CpuWindow {
  int pid;
  uint64_t t0 = now_ns();
  double self0 = cpu_self_s(), srv0;
  explicit CpuWindow(int p) : pid(p), srv0(cpu_of(p)) {}
  double elapsed() const { return double(now_ns() - t0) / 1e9; }
  std::string report() const {
    double el = elapsed();
    char b[128];
    double srv = srv0 >= 0 ? (cpu_of(pid) - srv0) / el : -1;
    std::snprintf(b, sizeof b, " tool_cpu=%.0f%%", 100 * (cpu_self_s() - self0) / el);
    std::string r = b;
    if (srv >= 0) {
      std::snprintf(b, sizeof b, " server_cpu=%.0f%%", 100 * srv);
      r += b;
    }
    return r;
  }
  double server_cpu_s() const { return srv0 >= 0 ? cpu_of(pid) - srv0 : -1; }
};

}  // namespace convene::bench
