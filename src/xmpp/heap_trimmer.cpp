#include "xmpp/heap_trimmer.h"

#include <malloc.h>

namespace convene::xmpp {

HeapTrimmer::HeapTrimmer(asio::io_context& io, std::atomic<bool>& released, std::chrono::milliseconds period)
    : timer_(io), released_(released), period_(period) {}

void HeapTrimmer::start() { tick(); }

void HeapTrimmer::tick() {
  if (released_.exchange(false, std::memory_order_relaxed)) malloc_trim(0);
  timer_.expires_after(period_);
  // Cancelled only by destruction, after the loops stopped: the handler then never runs.
  timer_.async_wait([this](const asio::error_code& ec) {
    if (!ec) tick();
  });
}

}  // namespace convene::xmpp
