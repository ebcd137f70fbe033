#include "dbcluster/postgres_lease.h"

#include <gtest/gtest.h>

using namespace convene::dbcluster;
using std::chrono::milliseconds;

namespace {
const Lease::Clock::time_point t0{};
}

TEST(PostgresLease, ExpiresAfterItsLengthWithoutRenewal) {
  Lease lease(t0, milliseconds(900));
  EXPECT_FALSE(lease.expired(t0 + milliseconds(899)));
  EXPECT_EQ(lease.left(t0 + milliseconds(899)), milliseconds(1));
  EXPECT_TRUE(lease.expired(t0 + milliseconds(900)));
  EXPECT_EQ(lease.left(t0 + milliseconds(5000)), milliseconds(0));
}

TEST(PostgresLease, RenewalExtendsFromTheRenewalTime) {
  Lease lease(t0, milliseconds(900));
  lease.renew(t0 + milliseconds(800), milliseconds(900));
  EXPECT_FALSE(lease.expired(t0 + milliseconds(1699)));
  EXPECT_TRUE(lease.expired(t0 + milliseconds(1700)));
}

TEST(PostgresLease, AShorterRenewalNeverShortensTheLease) {
  Lease lease(t0, milliseconds(900));
  lease.renew(t0 + milliseconds(10), milliseconds(100));
  EXPECT_FALSE(lease.expired(t0 + milliseconds(899)));
}

TEST(PostgresLease, AnExpiredLeaseStaysExpiredWithoutRenewal) {
  Lease lease(t0, milliseconds(900));
  EXPECT_TRUE(lease.expired(t0 + milliseconds(2000)));
  lease.renew(t0 + milliseconds(2000), milliseconds(900));  // the guard never renews after expiry; the lease can
  EXPECT_FALSE(lease.expired(t0 + milliseconds(2899)));
}

TEST(PostgresLease, RenewalLineRoundTrips) {
  auto line = renewal_line(milliseconds(900));
  EXPECT_EQ(line, "renew 900\n");
  EXPECT_EQ(parse_renewal(line.substr(0, line.size() - 1)), milliseconds(900));
}

TEST(PostgresLease, GarbledOrUnboundedRenewalsAreRefused) {
  EXPECT_EQ(parse_renewal(""), std::nullopt);
  EXPECT_EQ(parse_renewal("renew"), std::nullopt);
  EXPECT_EQ(parse_renewal("renew "), std::nullopt);
  EXPECT_EQ(parse_renewal("renew 0"), std::nullopt);
  EXPECT_EQ(parse_renewal("renew -5"), std::nullopt);
  EXPECT_EQ(parse_renewal("renew 12x"), std::nullopt);
  EXPECT_EQ(parse_renewal("renew 60001"), std::nullopt);
  EXPECT_EQ(parse_renewal("renew 99999999999999999999999"), std::nullopt);
  EXPECT_EQ(parse_renewal("RENEW 900"), std::nullopt);
  EXPECT_EQ(parse_renewal("renew 60000"), milliseconds(60000));
}

TEST(PostgresLease, OnlyAMasterWithoutMajorityMayNotRenew) {
  EXPECT_TRUE(may_renew_lease(false, false));  // a standby cannot take writes anyway
  EXPECT_TRUE(may_renew_lease(false, true));
  EXPECT_TRUE(may_renew_lease(true, true));
  EXPECT_FALSE(may_renew_lease(true, false));
}
