#include "pki/certificate_info.h"

#include <gtest/gtest.h>

#include "pki/pki_test_support.h"

namespace convene::pki {
namespace {

using namespace std::chrono_literals;
using testing::fixed_now;

CertificateInfo window_info(Time from, Time to) {
  CertificateInfo c;
  c.not_before = from;
  c.not_after = to;
  return c;
}

TEST(CertificateInfo, DaysAreRoundedWholeDays) {
  auto now = fixed_now();
  auto fresh = window_info(now - 5s, now + 24h * 365 - 5s);  // made seconds ago for a year
  EXPECT_EQ(days_left(fresh, now), 365);
  EXPECT_EQ(validity_sentence(fresh, now), "Certificate is valid (expires in 365 days)");
  auto hours = window_info(now - 24h, now + 3h);
  EXPECT_EQ(validity_sentence(hours, now), "Certificate is valid (expires in less than a day)");
  auto expired = window_info(now - 48h, now - 24h);
  EXPECT_EQ(days_left(expired, now), -1);
  EXPECT_EQ(days_since_expiry(expired, now), 1);
  EXPECT_EQ(validity_sentence(expired, now), "Certificate has EXPIRED (1 day ago)");
  EXPECT_EQ(validity_at(window_info(now + 1s, now + 24h), now), Validity::kNotYetValid);
}

TEST(CertificateInfo, ExpiresWithin) {
  auto now = fixed_now();
  auto c = window_info(now - 24h, now + 24h * 20);
  EXPECT_TRUE(expires_within(c, now, 30));
  EXPECT_FALSE(expires_within(c, now, 10));
  EXPECT_TRUE(expires_within(window_info(now - 48h, now - 24h), now, 0));  // already expired
}

TEST(CertificateInfo, CaFlagsAndSelfSigned) {
  auto root = testing::make_root("Root");
  auto mid = testing::issue(root, "Mid", testing::window(0, 100, true));
  auto r = read_certificate_info(root.cert.get()).value();
  auto m = read_certificate_info(mid.cert.get()).value();
  EXPECT_TRUE(r.is_ca && r.self_signed);
  EXPECT_TRUE(m.is_ca);
  EXPECT_FALSE(m.self_signed);
  EXPECT_EQ(m.display_name(), "Mid");
}

}  // namespace
}  // namespace convene::pki
