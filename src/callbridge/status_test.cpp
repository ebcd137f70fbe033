#include "callbridge/status.h"

#include <gtest/gtest.h>

namespace convene::callbridge {
namespace {

// convened matches the process holding a name by this end's address and shows
// whether the link runs over TLS (admin/callbridge_holder): both while connected only.
TEST(StatusJson, ConnectedReportsLocalAddressAndTls) {
  LinkStatus s;
  s.state = LinkState::connected;
  s.server = s.server_address = "127.0.1.2:5223";
  s.local_address = "127.0.1.2:40312";
  s.tls = true;
  auto j = to_json(s);
  EXPECT_EQ(j.value("local_address", ""), "127.0.1.2:40312");
  EXPECT_TRUE(j.value("tls", false));

  s.tls = false;
  EXPECT_FALSE(to_json(s).value("tls", true));
}

TEST(StatusJson, NotConnectedHasNoLocalAddressOrTls) {
  LinkStatus s;
  s.state = LinkState::connecting;
  s.message = "standby: cb1.tptac9.com is served elsewhere; taking it over when it is not";
  auto j = to_json(s);
  EXPECT_FALSE(j.contains("local_address"));
  EXPECT_FALSE(j.contains("tls"));
}

// A standby waiting for the name says so in a field of its own, which
// convened's status reads (never the message's text).
TEST(StatusJson, AStandbyWaitingForTheNameSaysSoInItsOwnField) {
  LinkStatus s;
  s.state = LinkState::connecting;
  EXPECT_FALSE(to_json(s).contains("held_elsewhere"));
  s.held_elsewhere = true;
  EXPECT_TRUE(to_json(s).value("held_elsewhere", false));
}

}  // namespace
}  // namespace convene::callbridge
