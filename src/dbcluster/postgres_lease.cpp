#include "dbcluster/postgres_lease.h"

#include <charconv>

namespace convene::dbcluster {

void Lease::renew(Clock::time_point now, std::chrono::milliseconds length) {
  auto until = now + length;
  if (until > until_) until_ = until;
}

std::chrono::milliseconds Lease::left(Clock::time_point now) const {
  if (expired(now)) return std::chrono::milliseconds(0);
  // Rounded up: a poll for the floor would wake just before the end and spin.
  return std::chrono::ceil<std::chrono::milliseconds>(until_ - now);
}

std::string renewal_line(std::chrono::milliseconds length) { return "renew " + std::to_string(length.count()) + "\n"; }

std::optional<std::chrono::milliseconds> parse_renewal(std::string_view line) {
  constexpr std::string_view kWord = "renew ";
  if (line.substr(0, kWord.size()) != kWord) return std::nullopt;
  auto digits = line.substr(kWord.size());
  long long ms = 0;
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), ms);
  if (ec != std::errc() || end != digits.data() + digits.size()) return std::nullopt;
  if (ms <= 0 || ms > kLeaseMax.count()) return std::nullopt;
  return std::chrono::milliseconds(ms);
}

}  // namespace convene::dbcluster
