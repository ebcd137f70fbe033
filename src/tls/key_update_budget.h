#pragma once
// How many KeyUpdates a peer may send in a time window. Each one costs three key
// derivations and, when it asks for ours, a record back; a client has no reason
// for more than a few per hour (OpenSSL refuses 32 in a row without data between,
// its SSL_R_TOO_MANY_KEY_UPDATES), so a budget per window ends a flood without
// touching anyone legitimate.
#include <chrono>

namespace convene::tls {

struct KeyUpdateBudget {
  KeyUpdateBudget() = default;
  KeyUpdateBudget(unsigned limit, std::chrono::seconds window) : limit(limit), window(window) {}

  unsigned limit = 32;
  std::chrono::seconds window{60};

  // Counts one KeyUpdate now; false once more than `limit` came in one window.
  bool take(std::chrono::steady_clock::time_point now) {
    if (now - since_ >= window) {
      since_ = now;
      used_ = 0;
    }
    return ++used_ <= limit;
  }

 private:
  std::chrono::steady_clock::time_point since_{};
  unsigned used_ = 0;
};

}  // namespace convene::tls
