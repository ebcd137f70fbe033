// convene-bench's scenarios (load.h): logins, idle connections, messages, and
// messages across a node failure, each on the engine of engine.h.
#include "load.h"

#include <algorithm>
#include <csignal>
#include <cstdio>
#include <ctime>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "engine.h"
#include "measure.h"

namespace convene::bench {
namespace {

struct LoginRun {
  unsigned online = 0, failed = 0, next = 0;
  Stats lat;
  uint64_t last_done = 0;
};

// Logs in conns [0, n) of the engine, `concurrency` at a time; returns when all are done.
LoginRun login_all(Engine& eng, const Options& o, unsigned n) {
  LoginRun r;
  eng.on_online = [&](unsigned idx) {
    r.lat.add(now_ns() - eng.conns_[idx].t0);
    ++r.online;
    r.last_done = now_ns();
    if (r.next < n) eng.start(r.next++);
  };
  eng.on_dead = [&](unsigned idx) {
    ++r.failed;
    r.last_done = now_ns();
    if (r.next < n) eng.start(r.next++);
  };
  while (r.next < n && r.next < o.concurrency) eng.start(r.next++);
  uint64_t deadline = now_ns() + uint64_t(o.timeout * 1e9);
  while (r.online + r.failed < n && now_ns() < deadline) eng.poll(5);
  return r;
}

// Message templates: sender i to partner i^1, its send time (16 hex digits) at stamp_off.
void build_message_templates(Engine& eng, const Options& o, unsigned n) {
  std::string body(o.body_bytes, 'x');
  for (unsigned i = 0; i < n; ++i) {
    Conn& c = eng.conns_[i];
    c.msg = "<message type='chat' to='" + eng.user_name(i ^ 1) + "@" + o.domain + "/b' id='";
    c.stamp_off = c.msg.size();
    c.msg += std::string(16, '0') + "'><body>" + body + "</body></message>";
  }
}

// Sends connection i's message stamped with now; returns the stamp, 0 when i is gone.
uint64_t send_stamped(Engine& eng, unsigned i) {
  Conn& c = eng.conns_[i];
  if (c.fd < 0) return 0;
  uint64_t t = now_ns();
  static const char* d = "0123456789abcdef";
  for (int k = 0; k < 16; ++k) c.msg[c.stamp_off + size_t(k)] = d[(t >> (60 - 4 * k)) & 15];
  eng.send(i, c.msg);
  return t;
}

// A send stamp (CLOCK_MONOTONIC) as wall-clock time, to find it in a server's log.
std::string wall_clock(uint64_t stamp) {
  timespec real;
  clock_gettime(CLOCK_REALTIME, &real);
  int64_t ns = int64_t(real.tv_sec) * 1'000'000'000 + real.tv_nsec - int64_t(now_ns() - stamp);
  time_t secs = time_t(ns / 1'000'000'000);
  tm utc;
  gmtime_r(&secs, &utc);
  char buf[48];
  std::snprintf(buf, sizeof buf, "%02d:%02d:%02d.%03lld UTC", utc.tm_hour, utc.tm_min, utc.tm_sec,
                (long long)(ns % 1'000'000'000 / 1'000'000));
  return buf;
}

void print_error(const Engine& eng) {
  if (!eng.first_error.empty()) std::fprintf(stderr, "first error: %s\n", eng.first_error.c_str());
}

}  // namespace

int run_login(const Options& o) {
  Engine eng(o);
  eng.add_users(o.users);
  CpuWindow cpu(o.server_pid);
  uint64_t t0 = now_ns();
  auto r = login_all(eng, o, o.users);
  double el = double((r.last_done ? r.last_done : now_ns()) - t0) / 1e9;
  std::string shares = cpu.report();
  std::printf("RESULT scenario=login server=%s users=%u concurrency=%u ok=%u failed=%u elapsed_s=%.3f logins_per_s=%.0f "
              "p50_ms=%.2f p99_ms=%.2f max_ms=%.2f%s\n",
              o.label.c_str(), o.users, o.concurrency, r.online, r.failed, el, r.online / el, r.lat.pct_ms(0.5),
              r.lat.pct_ms(0.99), r.lat.max_ms(), shares.c_str());
  std::fflush(stdout);
  print_error(eng);
  eng.close_all();
  return r.online ? 0 : 1;
}

int run_idle(const Options& o) {
  long before = rss_kib(o.server_pid);
  Engine eng(o);
  eng.add_users(o.users);
  CpuWindow cpu(o.server_pid);
  auto r = login_all(eng, o, o.users);
  std::string shares = cpu.report();
  uint64_t until = now_ns() + uint64_t(o.hold * 1e9);
  while (now_ns() < until) eng.poll(50);
  long after = rss_kib(o.server_pid);
  unsigned alive = 0;
  for (auto& c : eng.conns_) alive += c.st == St::online;
  double per = (before >= 0 && after >= 0 && alive) ? double(after - before) / alive : -1;
  std::printf("RESULT scenario=idle server=%s users=%u alive=%u failed=%u rss_before_kib=%ld rss_after_kib=%ld "
              "rss_per_conn_kib=%.1f%s\n",
              o.label.c_str(), o.users, alive, r.failed, before, after, per, shares.c_str());
  std::fflush(stdout);
  print_error(eng);
  eng.close_all();
  return alive ? 0 : 1;
}

int run_messages(const Options& o) {
  const unsigned n = 2 * o.pairs;  // pair p: conns 2p and 2p+1, each sends to the other
  Engine eng(o);
  eng.add_users(n);
  auto r = login_all(eng, o, n);
  if (r.online < n) {
    std::printf("RESULT scenario=messages server=%s pairs=%u error=login online=%u failed=%u\n", o.label.c_str(),
                o.pairs, r.online, r.failed);
    print_error(eng);
    return 1;
  }
  build_message_templates(eng, o, n);
  uint64_t sent = 0, received = 0, delivered = 0, bad = 0;
  // Every message is followed from its send to its arrival: what is missing when the
  // drain (o.drain) ends is waited for up to o.late_wait more and told apart: late
  // (arrived then), bounced (an error back to its sender), lost (never), and what
  // arrived twice (or was not sent in this run: delivered from offline storage at
  // login) or ahead of an earlier one of its sender.
  std::vector<std::set<uint64_t>> on_way(n);  // per sender: the stamps not arrived yet
  uint64_t bounced = 0, duplicates = 0, out_of_order = 0, late = 0;
  uint64_t drained_at = 0;  // when the drain ended with messages missing (0: not yet)
  Stats late_lat;
  Stats lat;
  uint64_t t_start = now_ns();
  uint64_t t_measure = t_start + uint64_t(o.warmup * 1e9);
  uint64_t t_end = t_measure + uint64_t(o.duration * 1e9);
  bool sending = true;
  auto send_from = [&](unsigned i) {
    if (uint64_t stamp = send_stamped(eng, i)) {
      ++sent;
      on_way[i].insert(stamp);
    }
  };
  eng.on_dead = [&](unsigned) {};
  eng.on_message = [&](unsigned idx, uint64_t stamp, bool error) {
    uint64_t t = now_ns();
    const unsigned sender = error ? idx : idx ^ 1;  // a bounce comes back to its sender
    auto& way = on_way[sender];
    auto it = way.find(stamp);
    if (it == way.end()) {
      ++(stamp ? duplicates : bad);
      return;
    }
    if (it != way.begin()) ++out_of_order;
    way.erase(it);
    if (error) {
      ++bounced;
      std::fprintf(stderr, "bounced: %s -> %s sent %s, back after %.0f ms\n", eng.user_name(sender).c_str(),
                   eng.user_name(sender ^ 1).c_str(), wall_clock(stamp).c_str(), double(t - stamp) / 1e6);
    } else {
      ++received;
      if (!drained_at && t - stamp >= 1'000'000'000ull)  // which message, to find it in the servers' logs
        std::fprintf(stderr, "slow: %s -> %s sent %s, arrived after %.0f ms\n", eng.user_name(sender).c_str(),
                     eng.user_name(idx).c_str(), wall_clock(stamp).c_str(), double(t - stamp) / 1e6);
      if (t >= t_measure && t < t_end) {
        ++delivered;
        lat.add(t - stamp);
      }
      if (drained_at) {
        ++late;
        late_lat.add(t - stamp);
        std::fprintf(stderr, "late: %s -> %s sent %s, arrived after %.0f ms\n", eng.user_name(sender).c_str(),
                     eng.user_name(idx).c_str(), wall_clock(stamp).c_str(), double(t - stamp) / 1e6);
      }
    }
    if (o.rate <= 0 && sending) send_from(sender);  // closed loop: the sender's next one
  };
  std::unique_ptr<CpuWindow> cpu;
  std::string shares;
  double server_s = -1;
  uint64_t rr = 0;
  eng.on_tick = [&] {
    uint64_t t = now_ns();
    if (!cpu && t >= t_measure) cpu = std::make_unique<CpuWindow>(o.server_pid);
    if (sending && t >= t_end) {
      sending = false;
      if (cpu) {
        shares = cpu->report();
        server_s = cpu->server_cpu_s();
      }
    }
    if (sending && o.rate > 0) {
      uint64_t due = uint64_t(o.rate * double(t - t_start) / 1e9);
      while (sent < due) send_from(unsigned(rr++ % n));
    }
  };
  if (o.rate <= 0)
    for (unsigned i = 0; i < n; ++i) send_from(i);
  while (sending) eng.poll(1);
  auto missing = [&] {
    size_t m = 0;
    for (auto& way : on_way) m += way.size();
    return m;
  };
  uint64_t drain_until = now_ns() + uint64_t(o.drain * 1e9);
  while (missing() && now_ns() < drain_until) eng.poll(10);
  const size_t missing_after_drain = missing();
  if (missing_after_drain) {
    drained_at = now_ns();
    for (unsigned i = 0; i < n; ++i)
      for (uint64_t stamp : on_way[i])
        std::fprintf(stderr, "missing after the drain: %s -> %s sent %s (%.0f ms ago)\n", eng.user_name(i).c_str(),
                     eng.user_name(i ^ 1).c_str(), wall_clock(stamp).c_str(), double(drained_at - stamp) / 1e6);
    uint64_t wait_until = drained_at + uint64_t(o.late_wait * 1e9);
    while (missing() && now_ns() < wait_until) eng.poll(10);
  }
  const size_t lost = missing();
  for (unsigned i = 0; i < n; ++i)
    for (uint64_t stamp : on_way[i])
      std::fprintf(stderr, "lost: %s -> %s sent %s\n", eng.user_name(i).c_str(), eng.user_name(i ^ 1).c_str(),
                   wall_clock(stamp).c_str());
  unsigned dead = 0;
  for (auto& c : eng.conns_) dead += c.st == St::dead;
  double mps = double(delivered) / o.duration;
  char extra[96] = "";
  if (server_s >= 0 && delivered) std::snprintf(extra, sizeof extra, " server_us_per_msg=%.2f", server_s * 1e6 / delivered);
  std::printf("RESULT scenario=messages server=%s pairs=%u mode=%s rate=%.0f duration_s=%.1f delivered=%lu "
              "msgs_per_s=%.0f p50_ms=%.3f p99_ms=%.3f max_ms=%.3f sent=%lu received=%lu lost=%zu late=%lu "
              "late_max_ms=%.0f bounced=%lu duplicates=%lu out_of_order=%lu bad=%lu dead_conns=%u%s%s\n",
              o.label.c_str(), o.pairs, o.rate > 0 ? "open" : "closed", o.rate, o.duration,
              (unsigned long)delivered, mps, lat.pct_ms(0.5), lat.pct_ms(0.99), lat.max_ms(), (unsigned long)sent,
              (unsigned long)received, lost, (unsigned long)late, late_lat.max_ms(), (unsigned long)bounced,
              (unsigned long)duplicates, (unsigned long)out_of_order, (unsigned long)bad, dead, shares.c_str(), extra);
  std::fflush(stdout);
  print_error(eng);
  eng.close_all();
  return 0;
}

namespace {
long rss_sum(int a, int b) {
  long x = a > 0 ? rss_kib(a) : 0, y = b > 0 ? rss_kib(b) : 0;
  return x < 0 || y < 0 ? -1 : x + y;
}
double cpu_sum(int a, int b) {
  double x = a > 0 ? cpu_of(a) : 0, y = b > 0 ? cpu_of(b) : 0;
  return x < 0 || y < 0 ? -1 : x + y;
}
}  // namespace

int run_space(const Options& o) {
  const unsigned n = o.users, talkers = std::min(o.talkers, o.users);
  if (o.room.empty() || o.room.find('@') == std::string::npos || !n) {
    std::fprintf(stderr, "space needs --room NAME@SERVICE and --users >= 1\n");
    return 1;
  }
  const long rss_before = rss_sum(o.server_pid, o.bridge_pid);
  Engine eng(o);
  eng.add_users(n);
  auto r = login_all(eng, o, n);
  if (r.online < n) {
    std::printf("RESULT scenario=space server=%s occupants=%u error=login online=%u failed=%u\n", o.label.c_str(), n,
                r.online, r.failed);
    print_error(eng);
    return 1;
  }
  // Joins, `concurrency` at a time: done at the occupant's own presence, which carries
  // status code 110 (XEP-0045 §7.2.2) in either quoting style.
  unsigned joined = 0, next = 0;
  eng.markers = {"code='110'", "code=\"110\""};
  eng.on_marker = [&](unsigned) {
    ++joined;
    if (next < n) {
      unsigned i = next++;
      eng.send(i, "<presence to='" + o.room + "/" + eng.user_name(i) +
                      "'><x xmlns='http://jabber.org/protocol/muc'><history maxstanzas='0'/></x></presence>");
    }
  };
  const uint64_t join_t0 = now_ns();
  while (next < n && next < o.concurrency) {
    unsigned i = next++;
    eng.send(i, "<presence to='" + o.room + "/" + eng.user_name(i) +
                    "'><x xmlns='http://jabber.org/protocol/muc'><history maxstanzas='0'/></x></presence>");
  }
  uint64_t deadline = now_ns() + uint64_t(o.timeout * 1e9);
  while (joined < n && now_ns() < deadline) eng.poll(5);
  const double join_s = double(now_ns() - join_t0) / 1e9;
  if (joined < n) {
    std::printf("RESULT scenario=space server=%s occupants=%u error=join joined=%u\n", o.label.c_str(), n, joined);
    print_error(eng);
    return 1;
  }
  // Settle: the last joins' presences still fan out; then read RSS.
  uint64_t settle = now_ns() + 500'000'000ull;
  while (now_ns() < settle) eng.poll(10);
  const long rss_after = rss_sum(o.server_pid, o.bridge_pid);

  // Talkers: the stamp goes in the id and at the start of the body (the room may re-id).
  std::string pad(o.body_bytes > 16 ? o.body_bytes - 16 : 0, 'x');
  for (unsigned i = 0; i < talkers; ++i) {
    Conn& c = eng.conns_[i];
    c.msg = "<message type='groupchat' to='" + o.room + "' id='";
    c.stamp_off = c.msg.size();
    c.msg += std::string(16, '0') + "'><body>" + std::string(16, '0') + pad + "</body></message>";
  }
  std::vector<uint64_t> last_stamp(talkers, 0);  // a talker's message in flight
  auto send_talk = [&](unsigned i) {
    Conn& c = eng.conns_[i];
    if (c.fd < 0) return false;
    uint64_t t = now_ns();
    last_stamp[i] = t;
    static const char* d = "0123456789abcdef";
    const size_t body_off = c.msg.find("<body>") + 6;
    for (int k = 0; k < 16; ++k) c.msg[c.stamp_off + size_t(k)] = c.msg[body_off + size_t(k)] = d[(t >> (60 - 4 * k)) & 15];
    eng.send(i, c.msg);
    return true;
  };
  uint64_t sent = 0, received = 0, delivered = 0, other = 0;
  Stats lat;
  const uint64_t t_start = now_ns(), t_measure = t_start + uint64_t(o.warmup * 1e9),
                 t_end = t_measure + uint64_t(o.duration * 1e9);
  bool sending = true;
  // A talker's own message reflected back to it (same stamp) releases its next one.
  eng.on_message = [&](unsigned idx, uint64_t stamp, bool) {
    uint64_t t = now_ns();
    if (!stamp || stamp > t) {
      ++other;  // the subject, or anything else without our stamp
      return;
    }
    ++received;
    if (t >= t_measure && t < t_end) {
      ++delivered;
      lat.add(t - stamp);
    }
    if (idx < talkers && stamp == last_stamp[idx] && sending && send_talk(idx)) ++sent;
  };
  std::unique_ptr<CpuWindow> cpu;
  double srv0 = -1, srv_s = -1;
  std::string shares;
  eng.on_tick = [&] {
    uint64_t t = now_ns();
    if (!cpu && t >= t_measure) {
      cpu = std::make_unique<CpuWindow>(o.server_pid);
      srv0 = cpu_sum(o.server_pid, o.bridge_pid);
    }
    if (sending && t >= t_end) {
      sending = false;
      if (cpu) {
        shares = cpu->report();
        double s1 = cpu_sum(o.server_pid, o.bridge_pid);
        if (srv0 >= 0 && s1 >= 0) srv_s = s1 - srv0;
      }
    }
  };
  for (unsigned i = 0; i < talkers; ++i)
    if (send_talk(i)) ++sent;
  while (sending) eng.poll(1);
  uint64_t drain_until = now_ns() + 3'000'000'000ull;
  while (received < sent * n && now_ns() < drain_until) eng.poll(10);
  unsigned dead = 0;
  for (auto& c : eng.conns_) dead += c.st == St::dead;
  double per_occupant = rss_before >= 0 && rss_after >= 0 ? double(rss_after - rss_before) / n : -1;
  char extra[160] = "";
  if (srv_s >= 0 && delivered)
    std::snprintf(extra, sizeof extra, " server_us_per_delivery=%.2f server_and_bridge_cpu=%.0f%%", srv_s * 1e6 / delivered,
                  100 * srv_s / o.duration);
  std::printf("RESULT scenario=space server=%s occupants=%u talkers=%u duration_s=%.1f join_s=%.2f delivered=%lu "
              "deliveries_per_s=%.0f p50_ms=%.3f p99_ms=%.3f max_ms=%.3f sent=%lu received=%lu expected=%lu "
              "lost=%ld other=%lu rss_before_kib=%ld rss_after_kib=%ld kib_per_occupant=%.1f dead_conns=%u%s%s\n",
              o.label.c_str(), n, talkers, o.duration, join_s, (unsigned long)delivered, double(delivered) / o.duration,
              lat.pct_ms(0.5), lat.pct_ms(0.99), lat.max_ms(), (unsigned long)sent, (unsigned long)received,
              (unsigned long)(sent * n), long(sent * n) - long(received), (unsigned long)other, rss_before, rss_after,
              per_occupant, dead, shares.c_str(), extra);
  std::fflush(stdout);
  print_error(eng);
  eng.close_all();
  return 0;
}

int run_failover(const Options& o) {
  const unsigned n = 2 * o.pairs;
  if (o.host2.empty() || o.kill_pid <= 0 || o.rate <= 0) {
    std::fprintf(stderr, "failover needs --host2, --kill-pid and --rate (users on two nodes that survive)\n");
    return 1;
  }
  Engine eng(o);
  eng.add_users(n);
  auto r = login_all(eng, o, n);
  if (r.online < n) {
    std::printf("RESULT scenario=failover server=%s pairs=%u error=login online=%u failed=%u\n", o.label.c_str(),
                o.pairs, r.online, r.failed);
    print_error(eng);
    return 1;
  }
  build_message_templates(eng, o, n);
  uint64_t sent = 0, received = 0, bad = 0, sent_after = 0;
  Stats lat;
  const uint64_t t_start = now_ns();
  uint64_t t_kill = t_start + uint64_t(o.kill_after * 1e9), t_end = t_kill + uint64_t(o.duration * 1e9);
  bool killed = false;
  int64_t restored_ns = -1;  // kill -> first message sent after it delivered
  uint64_t last_delivery = 0, longest_gap = 0;
  eng.on_dead = [&](unsigned) {};
  eng.on_message = [&](unsigned, uint64_t stamp, bool) {
    uint64_t t = now_ns();
    ++received;
    if (!stamp || stamp > t) {
      ++bad;
      return;
    }
    lat.add(t - stamp);
    if (killed && stamp >= t_kill && restored_ns < 0) restored_ns = int64_t(t - t_kill);
    if (killed && last_delivery) longest_gap = std::max(longest_gap, t - std::max(last_delivery, t_kill));
    last_delivery = t;
  };
  uint64_t rr = 0;
  eng.on_tick = [&] {
    uint64_t t = now_ns();
    if (!killed && t >= t_kill) {
      t_kill = now_ns();
      ::kill(o.kill_pid, SIGKILL);
      killed = true;
      t_end = t_kill + uint64_t(o.duration * 1e9);
    }
    if (t >= t_end) return;
    uint64_t due = uint64_t(o.rate * double(t - t_start) / 1e9);
    while (sent < due) {
      if (send_stamped(eng, unsigned(rr++ % n))) {
        ++sent;
        if (killed) ++sent_after;
      }
    }
  };
  while (now_ns() < t_end) eng.poll(1);
  // Stanzas a surviving node accepted are resent through the new leader: give them time.
  uint64_t drain_until = now_ns() + uint64_t(std::min(o.timeout, 15.0) * 1e9);
  while (received < sent && now_ns() < drain_until) eng.poll(10);
  unsigned dead = 0;
  for (auto& c : eng.conns_) dead += c.st == St::dead;
  std::printf("RESULT scenario=failover server=%s pairs=%u rate=%.0f killed_pid=%d restored_ms=%.1f "
              "longest_gap_ms=%.1f p50_ms=%.3f p99_ms=%.3f max_ms=%.3f sent=%lu sent_after_kill=%lu received=%lu "
              "lost=%ld bad=%lu dead_conns=%u\n",
              o.label.c_str(), o.pairs, o.rate, o.kill_pid, restored_ns < 0 ? -1.0 : double(restored_ns) / 1e6,
              double(longest_gap) / 1e6, lat.pct_ms(0.5), lat.pct_ms(0.99), lat.max_ms(), (unsigned long)sent,
              (unsigned long)sent_after, (unsigned long)received, long(sent) - long(received), (unsigned long)bad,
              dead);
  std::fflush(stdout);
  print_error(eng);
  eng.close_all();
  return restored_ns < 0 ? 1 : 0;
}

}  // namespace convene::bench
