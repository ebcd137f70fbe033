#include "util/random.h"

#include <openssl/err.h>
#include <openssl/rand.h>

#include <climits>
#include <cstdlib>

#include "util/log.h"
#include "util/openssl_error.h"

namespace convene {

void random_bytes(unsigned char* out, std::size_t n) {
  while (n > 0) {
    int chunk = n > std::size_t(INT_MAX) ? INT_MAX : static_cast<int>(n);
    if (RAND_bytes(out, chunk) != 1) {
      // See the policy in random.h: no caller can do anything useful without randomness.
      logger("util")->critical("the random generator failed ({}); stopping", take_openssl_error());
      spdlog::shutdown();
      std::abort();
    }
    out += chunk;
    n -= static_cast<std::size_t>(chunk);
  }
}

std::string random_bytes(std::size_t n) {
  std::string out(n, '\0');
  random_bytes(reinterpret_cast<unsigned char*>(out.data()), n);
  return out;
}

std::uint64_t random_u64() {
  unsigned char b[8];
  random_bytes(b, sizeof b);
  std::uint64_t v = 0;
  for (unsigned char c : b) v = (v << 8) | c;
  return v;
}

std::string random_id(std::size_t n) {
  static constexpr char kAlphabet[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
  constexpr unsigned kSize = sizeof kAlphabet - 1;  // 62
  constexpr unsigned kLimit = 256 - 256 % kSize;    // 248: bytes at or above it are dropped, so no bias
  std::string out;
  out.reserve(n);
  unsigned char bytes[64];
  while (out.size() < n) {
    random_bytes(bytes, sizeof bytes);
    for (unsigned char b : bytes)
      if (b < kLimit && out.size() < n) out.push_back(kAlphabet[b % kSize]);
  }
  return out;
}

}  // namespace convene
