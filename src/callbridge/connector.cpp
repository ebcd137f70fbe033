#include "callbridge/connector.h"

#include <thread>

#include "callbridge/component_client.h"
#include "callbridge/send_batch.h"
#include "callbridge/target_plan.h"
#include "dns/resolver.h"
#include "dns/srv_order.h"
#include "util/endpoint.h"
#include "util/log.h"

namespace convene::callbridge {

namespace {
std::string join_attempts(const std::vector<Attempt>& tried) {
  std::string out;
  for (auto& a : tried) {
    if (!out.empty()) out += "; ";
    out += a.target + (a.address.empty() || a.address == a.target ? "" : " (" + a.address + ")") + ": " + a.error;
  }
  return out;
}
}  // namespace

Connector::Connector(ConnectorConfig config, Spaces& spaces, std::function<void(const LinkStatus&)> on_status)
    : config_(std::move(config)), spaces_(spaces), on_status_(std::move(on_status)), rng_(std::random_device{}()) {
  status_.name = config_.name;
  status_.domain = config_.domain;
  status_.component = config_.component();
  status_.mode = config_.server ? "server " + *config_.server : "DNS SRV " + config_.srv_name();
  status_.since_unix_ms = unix_ms_now();
}

void Connector::publish() {
  status_.spaces = spaces_.names();
  status_.occupants = spaces_.occupant_count();
  auto store = spaces_.store_info();
  status_.database = store.kind;
  status_.database_where = store.where;
  status_.database_server = store.server;
  status_.database_problem = store.problem;
  if (ever_published_ && status_ == published_) return;
  published_ = status_;
  ever_published_ = true;
  if (on_status_) on_status_(status_);
}

void Connector::wait(std::chrono::milliseconds delay, const std::atomic<bool>& stop) {
  auto until = std::chrono::steady_clock::now() + delay;
  while (!stop && std::chrono::steady_clock::now() < until)
    std::this_thread::sleep_for(std::min<std::chrono::steady_clock::duration>(
        std::chrono::milliseconds(50), until - std::chrono::steady_clock::now()));
}

void Connector::run(const std::atomic<bool>& stop) {
  auto log = logger("callbridge");
  Backoff backoff(config_.backoff_initial, config_.backoff_max);
  std::optional<TargetPlan> plan_holder;
  if (config_.server) {
    auto fixed = parse_server_address(*config_.server);
    if (!fixed) {
      status_.state = LinkState::failed;
      status_.cause = FailureCause::configuration;
      status_.message = fixed.error().text();
      publish();
      while (!stop) wait(std::chrono::milliseconds(100), stop);
      return;
    }
    plan_holder = TargetPlan::fixed(*fixed);
  } else {
    plan_holder = TargetPlan::from_srv(config_.srv_name());
  }
  TargetPlan& plan = *plan_holder;
  auto resolver = dns::Resolver::create(config_.dns_server);
  if (!resolver) {
    status_.state = LinkState::failed;
    status_.cause = FailureCause::configuration;
    status_.message = "DNS resolver: " + resolver.error().text();
    publish();
    while (!stop) wait(std::chrono::milliseconds(100), stop);
    return;
  }
  status_.state = LinkState::connecting;
  publish();

  ComponentClient client;
  std::vector<Attempt> tried;
  bool auth_rejected = false;

  auto fail_and_back_off = [&](FailureCause cause, std::string message) {
    if (status_.state != LinkState::failed || status_.cause != cause) status_.since_unix_ms = unix_ms_now();
    status_.state = LinkState::failed;
    status_.cause = cause;
    status_.held_elsewhere = false;
    status_.message = std::move(message);
    status_.server.clear();
    status_.server_address.clear();
    status_.local_address.clear();
    status_.tls = false;
    publish();
    auto delay = backoff.next(rng_);
    log->warn("{}; next attempt in {} ms", status_.message, delay.count());
    wait(delay, stop);
  };

  while (!stop) {
    auto now = std::chrono::steady_clock::now();
    if (plan.needs_resolve(now)) {
      auto answer = (*resolver)->srv(plan.record_name());
      if (!answer) {
        status_.dns_name = plan.record_name();
        status_.dns_error = answer.error().message;
        status_.tried.clear();
        fail_and_back_off(FailureCause::dns, "DNS lookup failed: " + answer.error().message);
        continue;
      }
      auto ordered = dns::order_srv_targets(answer->targets, rng_);
      if (ordered.empty()) {
        status_.dns_name = plan.record_name();
        status_.dns_error = "the record says the service is not available here (target '.')";
        status_.tried.clear();
        fail_and_back_off(FailureCause::dns, "DNS lookup failed: " + plan.record_name() + ": " + status_.dns_error);
        continue;
      }
      std::string list;
      for (auto& t : ordered) list += (list.empty() ? "" : ", ") + t.endpoint();
      log->info("{} → {} (TTL {} s)", plan.record_name(), list, answer->ttl.count());
      plan.set_targets(std::move(ordered), answer->ttl, now);
      tried.clear();
      auth_rejected = false;
    }
    auto target = plan.next();
    if (!target && tried.empty()) {
      // The list ran out only because the last target served us until it went away:
      // start a fresh round at once (new look-up in SRV mode), no back-off.
      plan.restart();
      continue;
    }
    if (!target) {
      // Every target failed once: say so (naming them) and back off before the next round.
      status_.tried = tried;
      std::string what = plan.is_fixed() ? "the server " + plan.targets().front().endpoint()
                                          : "every target of " + plan.record_name();
      if (auth_rejected)
        fail_and_back_off(FailureCause::authentication,
                          "authentication failure: the secret for call bridge '" + config_.name +
                              "' was rejected (" + join_attempts(tried) + ")");
      else
        fail_and_back_off(FailureCause::unreachable, "unreachable: " + what + " failed (" + join_attempts(tried) + ")");
      plan.restart();
      tried.clear();
      auth_rejected = false;
      continue;
    }
    auto secret = config_.read_secret ? config_.read_secret() : Result<std::string>(make_error("no secret"));
    if (!secret) {
      status_.tried.clear();
      fail_and_back_off(FailureCause::configuration, "secret: " + secret.error().text());
      plan.restart();
      continue;
    }
    // The target's addresses (literal or looked up); each tried in turn.
    Attempt attempt{target->endpoint(), {}, {}};
    auto addresses = (*resolver)->addresses(target->host);
    if (!addresses) {
      attempt.error = addresses.error().message;
      tried.push_back(attempt);
      log->warn("{}: {}", attempt.target, attempt.error);
      continue;
    }
    std::optional<ConnectFailure> failure;
    std::string address;
    for (auto& a : *addresses) {
      address = Endpoint{a, target->port}.to_string();
      failure = client.connect(a, target->port, config_.component(), *secret, config_.connect_timeout, stop,
                               {config_.tls_trust, config_.domain, config_.standby});
      if (!failure || failure->kind == ConnectFailure::Kind::authentication) break;
    }
    if (stop) break;
    if (failure && failure->kind == ConnectFailure::Kind::held) {
      // Not a fault: the name is served elsewhere. Ask again soon, with a random part
      // so two standbys let in at once (both then yield) do not meet again.
      if (!status_.held_elsewhere) {
        status_.state = LinkState::connecting;
        status_.cause = FailureCause::none;
        status_.held_elsewhere = true;
        status_.message = "standby: " + config_.component() + " is served elsewhere; taking it over when it is not";
        status_.since_unix_ms = unix_ms_now();
        publish();
      }
      std::uniform_int_distribution<int> extra(0, static_cast<int>(ConnectorConfig::kStandbyRetry.count()));
      wait(ConnectorConfig::kStandbyRetry + std::chrono::milliseconds(extra(rng_)), stop);
      plan.restart();
      continue;
    }
    if (failure) {
      attempt.address = address;
      attempt.error = failure->message;
      tried.push_back(attempt);
      if (failure->kind == ConnectFailure::Kind::authentication) auth_rejected = true;
      log->warn("call bridge {} → {} ({}): {}", config_.component(), attempt.target, address, failure->message);
      continue;
    }
    // Connected and authenticated.
    backoff.reset();
    tried.clear();
    auth_rejected = false;
    status_.state = LinkState::connected;
    status_.cause = FailureCause::none;
    status_.held_elsewhere = false;
    status_.message = "connected to " + target->endpoint();
    status_.dns_name.clear();
    status_.dns_error.clear();
    status_.tried.clear();
    status_.server = target->endpoint();
    status_.server_address = address;
    status_.local_address = client.local_address();
    status_.tls = !config_.tls_trust.empty();  // connect() has no plain fallback when it is set
    status_.since_unix_ms = unix_ms_now();
    status_.connections++;
    log->info("call bridge {} connected to {} ({}){}", config_.component(), target->endpoint(), address,
              config_.standby ? " as the standby taking the name over" : "");
    publish();
    // What one stanza's handling sends leaves in one write (send_batch.h): a group
    // message to a large space is one write, not one per occupant.
    SendBatch batch([&](std::string_view out) { client.send(out); });
    auto send = [&](const std::string& out) { batch.add(out); };
    // The rooms as recorded with the server: this instance may be taking over from
    // one that died (component_occupants.h).
    spaces_.connected(send);
    batch.flush();
    auto why = client.run(
        [&](xml::Element& stanza) {
          spaces_.handle(stanza, send);
          batch.flush();
          publish();
        },
        stop, [&] {
          // The spaces follow the store here, without any stanza: the status must follow too.
          spaces_.tick(send);
          batch.flush();
          publish();
        });
    spaces_.write_history();  // what the last tick had not written yet
    if (stop) break;
    log->warn("call bridge {} lost {} ({}): {}", config_.component(), target->endpoint(), address, why);
    status_.last_loss = target->endpoint() + ": " + why;
    status_.state = LinkState::connecting;
    status_.message = "lost " + target->endpoint() + " (" + why + "); trying the next server";
    status_.server.clear();
    status_.server_address.clear();
    status_.local_address.clear();
    status_.tls = false;
    status_.since_unix_ms = unix_ms_now();
    publish();
    // Move on to the next target (the lost one is not retried before the others).
    wait(reconnect_jitter(rng_), stop);
    if (plan.is_fixed()) plan.restart();
  }
  client.close();
}

}  // namespace convene::callbridge
