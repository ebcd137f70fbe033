#pragma once
// Bounded exponential back-off with jitter, for a connector that has run out of
// servers to try. Delay n is drawn uniformly from [cap_n/2, cap_n] where
// cap_n = min(max, initial * 2^n): never below initial/2, never above max, and
// spread so that many call bridges losing the same server do not return in step.
#include <chrono>
#include <random>

namespace convene::callbridge {

class Backoff {
 public:
  using ms = std::chrono::milliseconds;
  explicit Backoff(ms initial = ms(250), ms max = ms(5000)) : initial_(initial), max_(max) {}

  ms next(std::mt19937_64& rng);
  void reset() { attempt_ = 0; }
  int attempts() const { return attempt_; }
  ms initial() const { return initial_; }
  ms max() const { return max_; }

 private:
  ms initial_, max_;
  int attempt_ = 0;
};

// A short random pause (0..max) before reconnecting after losing a live connection.
std::chrono::milliseconds reconnect_jitter(std::mt19937_64& rng, std::chrono::milliseconds max = std::chrono::milliseconds(100));

}  // namespace convene::callbridge
