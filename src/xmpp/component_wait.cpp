#include "xmpp/component_wait.h"

#include "xmpp/cluster_router.h"
#include "xmpp/server.h"
#include "xmpp/undeliverable.h"

namespace convene::xmpp {

ComponentWait::ComponentWait(Server& server) : server_(server), queue_({kMaxCount, kMaxBytes, kWait}) {}

ComponentWait::~ComponentWait() = default;

bool ComponentWait::hold(std::string_view domain, std::string_view bytes) {
  std::lock_guard lock(mu_);
  bool kept = queue_.hold(std::string(domain), std::string(bytes), HoldQueue::Clock::now());
  held_ = queue_.count();
  return kept;
}

bool ComponentWait::waiting(std::string_view domain) const {
  if (held_.load(std::memory_order_relaxed) == 0) return false;
  std::lock_guard lock(mu_);
  return queue_.holds(domain);
}

size_t ComponentWait::count() const {
  std::lock_guard lock(mu_);
  return queue_.count();
}

void ComponentWait::start(asio::io_context& io) {
  timer_ = std::make_unique<asio::steady_timer>(io);
  schedule();
}

void ComponentWait::stop() { timer_.reset(); }

void ComponentWait::schedule() {
  timer_->expires_after(kTick);
  // Cancelled only by stop(), after the loops stopped: the handler then never runs.
  timer_->async_wait([this](const asio::error_code& ec) {
    if (ec) return;
    tick();
    schedule();
  });
}

void ComponentWait::tick() {
  std::vector<std::string> domains;
  {
    std::lock_guard lock(mu_);
    if (!queue_.count()) return;
    domains = queue_.keys();
  }
  auto cluster = server_.cluster();
  for (auto& domain : domains) {
    const bool held = server_.registry.local_component(domain) ||
                      (cluster && server_.registry.remote_component(domain));
    if (!held) continue;
    std::vector<HoldQueue::Entry> entries;
    {
      std::lock_guard lock(mu_);
      entries = queue_.take(domain);
      held_ = queue_.count();
    }
    size_t sent = 0;
    while (sent < entries.size() && send_to_component(server_, domain, entries[sent].bytes)) ++sent;
    if (sent) server_.log->info("{} stanza(s) that waited for call bridge {} delivered to its new holder", sent, domain);
    if (sent < entries.size()) {  // the holder left again meanwhile: the rest keep waiting, in order
      entries.erase(entries.begin(), entries.begin() + static_cast<std::ptrdiff_t>(sent));
      std::lock_guard lock(mu_);
      queue_.put_back(std::move(entries));
      held_ = queue_.count();
    }
  }
  std::vector<HoldQueue::Entry> expired;
  {
    std::lock_guard lock(mu_);
    expired = queue_.take_expired(HoldQueue::Clock::now());
    held_ = queue_.count();
  }
  for (auto& e : expired)
    bounce_undeliverable(server_, e.bytes, kServiceUnavailableWait,
                         "waited " + std::to_string(kWait.count()) + " ms for call bridge " + e.key + " to be taken over");
}

}  // namespace convene::xmpp
