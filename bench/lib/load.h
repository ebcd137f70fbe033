// The XMPP load generator behind convene-bench: one thread, one epoll set, many
// non-blocking connections, pre-built byte strings, and no XML parser (engine.cpp says
// why). These are its scenarios (load.cpp).
#pragma once
#include <cstdint>
#include <string>

namespace convene::bench {

enum class Mech { automatic, plain, scram_sha1, scram_sha256 };

struct Options {
  std::string label = "server";    // name printed in results (convene, prosody, ejabberd)
  std::string host = "127.0.1.1";
  std::string host2;               // if set, odd users connect here (a cluster: every message crosses nodes)
  uint16_t port = 5222;
  std::string source;              // local address to bind, empty: any
  std::string domain = "bench.test";
  std::string prefix = "user";     // users are PREFIX0 .. PREFIX(N-1)
  std::string password = "secret";
  unsigned first = 0;              // index of the first user
  unsigned users = 1000;           // login, idle
  unsigned concurrency = 200;      // logins in progress at once
  unsigned pairs = 250;            // messages
  double duration = 10;            // seconds measured (messages)
  double warmup = 1;               // seconds before measuring (messages)
  double rate = 0;                 // messages/s in total, open loop; 0: closed loop
  double drain = 3;                // messages: seconds after the last send for the rest to arrive
  double late_wait = 40;           // messages: then, while some are missing, seconds more to tell late from lost
  unsigned body_bytes = 100;       // size of the <body/> text
  double hold = 3;                 // seconds to hold idle connections before reading RSS
  double timeout = 120;            // bound on any phase
  int server_pid = 0;              // for server CPU share and RSS (/proc/PID)
  Mech mech = Mech::automatic;     // automatic: PLAIN if offered, else SCRAM-SHA-1, else -256
  std::string scram_cache;         // file of cached SCRAM keys (read and written)
  // Acknowledge every read at once (TCP_QUICKACK) so a server that keeps Nagle on (Prosody's
  // default) is not held up to 40 ms per message by the tool's delayed ACKs: with one message in
  // flight per sender nothing else on that socket would carry the ACK. Costs one setsockopt per read.
  bool quickack = true;
  bool starttls = false;           // negotiate TLS (STARTTLS) before SASL; certificates are not checked
  std::string room;                // space: the room's JID (name@service)
  unsigned talkers = 10;           // space: occupants that send group messages (the first ones)
  int bridge_pid = 0;              // space: a second process serving the room (Convene's call bridge): RSS and CPU added
  // Non-empty: XMPP over WebSocket (RFC 7395) at this path, over TLS from the first
  // byte (wss://host:port/path), instead of the client port's stream.
  std::string websocket;
  int kill_pid = 0;                // failover: the process to kill -9 (a cluster leader's convened)
  double kill_after = 2;           // failover: seconds of traffic before the kill
};

// Each prints one "RESULT ..." line of key=value pairs and returns 0, or 1 when the
// scenario could not run at all (no login succeeded, ...).
int run_login(const Options& o);
int run_messages(const Options& o);
int run_idle(const Options& o);
// A meeting space: --users occupants join --room (XEP-0045, no history), then the first
// --talkers send group messages, closed loop (a talker's next message leaves when the room
// reflects its previous one back to it); deliveries to occupants per second, latency
// percentiles, and the server's (plus --bridge-pid's) RSS growth per occupant.
int run_space(const Options& o);
// Open-loop messages between users on --host and --host2 (two surviving nodes);
// kill -9 of kill_pid after kill_after s; traffic goes on for `duration` s after it.
int run_failover(const Options& o);

}  // namespace convene::bench
