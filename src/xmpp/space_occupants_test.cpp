#include "xmpp/space_occupants.h"

#include <gtest/gtest.h>

#include "xmpp/store_commands.h"
#include "xmpp/xmpp_state.h"

namespace convene::xmpp {

TEST(SpaceOccupants, JoinLeaveAndSnapshotRoundTrip) {
  XmppState state;
  ASSERT_TRUE(state.apply(cmd::space_join("cb1", {"room1", "Alice", "alice@x/a", "<show>away</show>"})));
  ASSERT_TRUE(state.apply(cmd::space_join("cb1", {"room1", "Bob", "bob@x/b", ""})));
  ASSERT_TRUE(state.apply(cmd::space_join("cb2", {"room9", "Carol", "carol@x/c", ""})));
  ASSERT_TRUE(state.apply(cmd::space_leave("cb1", "room1", "Bob")));
  ASSERT_TRUE(state.apply(cmd::space_leave("cb1", "room1", "Nobody")));  // absent: no error
  std::vector<SpaceOccupant> expected{{"room1", "Alice", "alice@x/a", "<show>away</show>"}};
  EXPECT_EQ(state.space_occupants("cb1"), expected);
  auto copy = XmppState::restore(state.snapshot());
  ASSERT_TRUE(copy);
  EXPECT_EQ(copy->space_occupants("cb1"), expected);
  EXPECT_EQ(copy->space_occupants("cb2").size(), 1u);
}

TEST(SpaceOccupants, BadCommandsChangeNothingAndDeletingTheBridgeDropsThem) {
  XmppState state;
  EXPECT_FALSE(state.apply(cmd::space_join("cb1", {"room1", "Alice", "alice@x", ""})));  // not a full JID
  EXPECT_FALSE(state.apply(cmd::space_join("c.b", {"room1", "Alice", "alice@x/a", ""})));
  EXPECT_TRUE(state.space_occupants("cb1").empty());
  ASSERT_TRUE(state.apply(cmd::callbridge_set("cb1", "0123456789abcdefXYZ", false)));
  ASSERT_TRUE(state.apply(cmd::space_join("cb1", {"room1", "Alice", "alice@x/a", ""})));
  ASSERT_TRUE(state.apply(cmd::callbridge_del("cb1")));
  EXPECT_TRUE(state.space_occupants("cb1").empty());
}

TEST(SpaceOccupants, OldSnapshotsWithoutOccupantsRestore) {
  XmppState state;
  auto snap = state.snapshot();
  snap.erase("space_occupants");
  auto copy = XmppState::restore(snap);
  ASSERT_TRUE(copy);
  EXPECT_TRUE(copy->space_occupants("cb1").empty());
}

}  // namespace convene::xmpp
