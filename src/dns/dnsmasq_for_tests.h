#pragma once
// Test-only: a real DNS server (dnsmasq from Debian's dnsmasq-base) on 127.0.0.1
// and a port of its own, serving the records a test gives it. Stopped by its pid.
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "dns/resolver.h"
#include "util/testing.h"

extern char** environ;

namespace convene::dns::testing {

class Dnsmasq {
 public:
  // `records`: dnsmasq configuration lines such as
  // "srv-host=_xmpp-component._tcp.example.com,node1.example.com,5223,10,50".
  explicit Dnsmasq(const std::vector<std::string>& records) {
    port_ = 20000 + static_cast<int>(::getpid() % 20000);
    auto conf = dir_ / "dnsmasq.conf";
    std::ofstream out(conf);
    out << "no-resolv\nno-hosts\nbind-interfaces\nlisten-address=127.0.0.1\nport=" << port_
        << "\nlocal-ttl=30\nno-daemon\npid-file=\nuser=root\n"
        << "srv-host=_probe._tcp.convene.test,probe.convene.test,1,0,0\n";
    for (auto& r : records) out << r << "\n";
    out.close();
    std::string conf_arg = "--conf-file=" + conf.string();
    std::vector<char*> argv{const_cast<char*>("/usr/sbin/dnsmasq"), const_cast<char*>("-k"), conf_arg.data(),
                            const_cast<char*>("--log-facility=-"), nullptr};
    if (posix_spawn(&pid_, argv[0], nullptr, nullptr, argv.data(), environ) != 0)
      throw std::runtime_error("cannot start /usr/sbin/dnsmasq: install dnsmasq-base");
    // Ready when it answers the probe record every instance serves.
    auto resolver = Resolver::create(server(), std::chrono::milliseconds(100));
    for (int i = 0; i < 200; ++i) {  // bounded: 200 probes of at most 100 ms
      if ((*resolver)->srv("_probe._tcp.convene.test")) return;
      int status;
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = 0;
        throw std::runtime_error("dnsmasq exited at start");
      }
      // A refused port answers at once; give the server a moment to bind.
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    stop();
    throw std::runtime_error("dnsmasq did not answer");
  }
  ~Dnsmasq() { stop(); }
  std::string server() const { return "127.0.0.1:" + std::to_string(port_); }

 private:
  void stop() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGTERM);
    ::waitpid(pid_, nullptr, 0);
    pid_ = 0;
  }
  convene::testing::TempDir dir_;
  pid_t pid_ = 0;
  int port_ = 0;
};

}  // namespace convene::dns::testing
