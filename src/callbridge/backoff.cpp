#include "callbridge/backoff.h"

#include <algorithm>

namespace convene::callbridge {

Backoff::ms Backoff::next(std::mt19937_64& rng) {
  long long cap = initial_.count();
  for (int i = 0; i < attempt_ && cap < max_.count(); ++i) cap *= 2;
  cap = std::min<long long>(cap, max_.count());
  if (attempt_ < 62) ++attempt_;
  std::uniform_int_distribution<long long> pick(cap / 2, cap);
  return ms(pick(rng));
}

std::chrono::milliseconds reconnect_jitter(std::mt19937_64& rng, std::chrono::milliseconds max) {
  std::uniform_int_distribution<long long> pick(0, max.count());
  return std::chrono::milliseconds(pick(rng));
}

}  // namespace convene::callbridge
