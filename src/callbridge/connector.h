#pragma once
// Keeps one call bridge connected to one XMPP server at a time.
//
// With a fixed server address it connects only there. Otherwise it resolves
// _xmpp-component._tcp.<domain> (through the DNS server given, if any), orders the
// targets by RFC 2782 and tries them one at a time. On losing a live connection it
// moves on to the next target after a short jitter (0-100 ms), so a call bridge
// whose server died is routing again well within 2 s. When every target has failed
// it backs off (bounded, with jitter: Backoff) and resolves again; records are also
// looked up again when their TTL has run out. The secret is read afresh before each
// attempt, so fixing the secret file (or the server's copy) recovers without restart.
//
// Every change of state is published as a LinkStatus (connected to which server
// since when, or the cause: DNS, authentication, unreachable with the targets tried).
#include <atomic>
#include <chrono>
#include <functional>
#include <optional>
#include <random>
#include <string>

#include "callbridge/backoff.h"
#include "callbridge/spaces.h"
#include "callbridge/status.h"
#include "util/result.h"

namespace convene::callbridge {

struct ConnectorConfig {
  std::string name;                   // "cb1"
  std::string domain;                 // "tptac9.com"
  std::optional<std::string> server;  // "host:port": connect only there
  std::string dns_server;             // "127.0.0.1:5353"; empty = the system's resolver
  std::string tls_trust;              // PEM bundle: TLS to the servers, verified (component_client.h); empty: none
  std::function<Result<std::string>()> read_secret;
  std::chrono::milliseconds connect_timeout{2000};
  std::chrono::milliseconds backoff_initial{250};
  std::chrono::milliseconds backoff_max{5000};
  // A standby instance (xmpp/component.h): let in only while nobody holds the name;
  // told so, it asks again after kStandbyRetry (jittered), so it takes the name
  // over soon after the serving instance's node is dropped from the cluster.
  bool standby = false;
  static constexpr std::chrono::milliseconds kStandbyRetry{200};

  std::string component() const { return name + "." + domain; }
  std::string srv_name() const { return "_xmpp-component._tcp." + domain; }
};

class Connector {
 public:
  Connector(ConnectorConfig config, Spaces& spaces, std::function<void(const LinkStatus&)> on_status);
  // Runs until `stop` is set (checked at least every 100 ms).
  void run(const std::atomic<bool>& stop);

 private:
  void publish();
  void wait(std::chrono::milliseconds delay, const std::atomic<bool>& stop);

  ConnectorConfig config_;
  Spaces& spaces_;
  std::function<void(const LinkStatus&)> on_status_;
  LinkStatus status_;
  LinkStatus published_;
  bool ever_published_ = false;
  std::mt19937_64 rng_;
};

}  // namespace convene::callbridge
