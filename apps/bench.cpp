// convene-bench: XMPP load generator. Scenarios login, messages, idle, failover; every
// result is one "RESULT key=value ..." line that includes the tool's own CPU share.
// bench/run-convene.sh starts a node and runs them; the engine is bench/lib/engine.cpp.
#include <CLI/CLI.hpp>

#include "load.h"

int main(int argc, char** argv) {
  using convene::bench::Mech;
  convene::bench::Options o;
  std::string mech = "auto";
  CLI::App app{"convene-bench — XMPP load generator (login, messages, idle, failover, space)"};
  app.require_subcommand(1);
  app.add_option("--label", o.label, "server name printed in results");
  app.add_option("--host", o.host, "server address")->capture_default_str();
  app.add_option("--host2", o.host2, "second server address: odd users connect there (cluster runs)");
  app.add_option("--port", o.port, "client port")->capture_default_str();
  app.add_option("--source", o.source, "local address to bind");
  app.add_option("--domain", o.domain, "XMPP domain")->capture_default_str();
  app.add_option("--prefix", o.prefix, "users are PREFIX<first>..")->capture_default_str();
  app.add_option("--first", o.first, "index of the first user")->capture_default_str();
  app.add_option("--password", o.password, "every user's password")->capture_default_str();
  app.add_option("--mech", mech, "SASL mechanism")
      ->check(CLI::IsMember({"auto", "plain", "scram-sha-1", "scram-sha-256"}))
      ->capture_default_str();
  app.add_flag("!--no-quickack", o.quickack, "keep delayed ACKs (by default every read is acknowledged at once: TCP_QUICKACK)");
  app.add_flag("--starttls", o.starttls, "STARTTLS before SASL (TLS 1.2+, the server's certificate is not checked)");
  app.add_option("--websocket", o.websocket,
                 "XMPP over WebSocket (RFC 7395) at this path, e.g. /xmpp-websocket: wss://HOST:PORT/PATH "
                 "(TLS from the first byte, certificate not checked)");
  app.add_option("--scram-cache", o.scram_cache, "file caching SCRAM keys (no PBKDF2 on the tool's clock)");
  app.add_option("--concurrency", o.concurrency, "logins in progress at once")->capture_default_str();
  app.add_option("--server-pid", o.server_pid, "server pid: its CPU share and RSS");
  app.add_option("--timeout", o.timeout, "bound on each phase, seconds")->capture_default_str();

  auto* login = app.add_subcommand("login", "N users log in (stream, SASL, bind, presence)");
  login->add_option("--users", o.users)->capture_default_str();
  auto* idle = app.add_subcommand("idle", "hold N logged-in idle connections; server RSS per connection");
  idle->add_option("--users", o.users)->capture_default_str();
  idle->add_option("--hold", o.hold, "seconds held before reading RSS")->capture_default_str();
  auto* msgs = app.add_subcommand("messages", "pairs exchange chat messages (closed loop, or --rate)");
  msgs->add_option("--pairs", o.pairs)->capture_default_str();
  msgs->add_option("--duration", o.duration, "seconds measured")->capture_default_str();
  msgs->add_option("--warmup", o.warmup, "seconds before measuring")->capture_default_str();
  msgs->add_option("--rate", o.rate, "open loop: messages/s in total (0: closed loop)")->capture_default_str();
  msgs->add_option("--body", o.body_bytes, "body bytes")->capture_default_str();
  msgs->add_option("--drain", o.drain, "seconds after the last send for the rest to arrive")->capture_default_str();
  msgs->add_option("--late-wait", o.late_wait,
                   "seconds more, while messages are missing after the drain, before they count as lost "
                   "(longer than a cluster node's 30 s before it bounces a stanza)")
      ->capture_default_str();
  auto* failover = app.add_subcommand(
      "failover", "open-loop messages between --host and --host2 users; kill -9 of --kill-pid under that load");
  failover->add_option("--pairs", o.pairs)->capture_default_str();
  failover->add_option("--rate", o.rate, "messages/s in total")->required();
  failover->add_option("--kill-pid", o.kill_pid, "process to kill -9 (the cluster leader's convened)")->required();
  failover->add_option("--kill-after", o.kill_after, "seconds of traffic before the kill")->capture_default_str();
  failover->add_option("--duration", o.duration, "seconds of traffic after the kill")->capture_default_str();
  failover->add_option("--body", o.body_bytes, "body bytes")->capture_default_str();
  auto* space = app.add_subcommand("space", "occupants join a room (XEP-0045); talkers send group messages (closed loop)");
  space->add_option("--users", o.users, "occupants")->capture_default_str();
  space->add_option("--room", o.room, "the room's JID, name@service (it must exist or be created on join)")->required();
  space->add_option("--talkers", o.talkers, "occupants that talk")->capture_default_str();
  space->add_option("--duration", o.duration, "seconds measured")->capture_default_str();
  space->add_option("--warmup", o.warmup, "seconds before measuring")->capture_default_str();
  space->add_option("--body", o.body_bytes, "body bytes (the first 16 are the send time)")->capture_default_str();
  space->add_option("--bridge-pid", o.bridge_pid, "a second server process serving the room (Convene's call bridge)");
  CLI11_PARSE(app, argc, argv);

  o.mech = mech == "plain" ? Mech::plain
           : mech == "scram-sha-1" ? Mech::scram_sha1
           : mech == "scram-sha-256" ? Mech::scram_sha256
                                     : Mech::automatic;
  if (*login) return convene::bench::run_login(o);
  if (*idle) return convene::bench::run_idle(o);
  if (*failover) return convene::bench::run_failover(o);
  if (*space) return convene::bench::run_space(o);
  return convene::bench::run_messages(o);
}
