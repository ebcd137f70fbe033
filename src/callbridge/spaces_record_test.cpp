// Spaces reading the record of occupants back (spaces_record.cpp): what a bridge
// taking over, or one back on a new connection, does with what it holds and what
// the XMPP service recorded.
#include <gtest/gtest.h>

#include <future>

#include "callbridge/spaces_test_support.h"

namespace convene::callbridge {
namespace {
using namespace spaces_testing;

// A bridge taking over learns of a space it never knew with the occupants the
// server recorded (a standby whose store was read before the space existed). The
// space is added to its store by the worker: on the occupants' thread, that write
// waited out the statement deadline on a master cut off with the bridge's node,
// and no group message moved meanwhile.
TEST(Spaces, ASpaceTakenInWithItsOccupantsIsAddedByTheWorkerNotTheOccupantsThread) {
  std::promise<void> go;
  auto go_on = go.get_future().share();
  StallingStore store(go_on);
  auto own = std::make_unique<StallingStore>(go_on);
  auto* worker_store = own.get();
  StoreWorker worker(std::move(own));
  Spaces spaces("cb1.tptac9.com", store);
  spaces.use_worker(&worker);
  Driver d(spaces);
  take_over_alice_and_bob(spaces, d);
  auto out = d.send(groupchat("alice", "g1"));
  EXPECT_TRUE(any_contains(out, "to='bob@tptac9.com/r'")) << "the space did not go on for its occupants";
  EXPECT_FALSE(store.on_test_thread || worker_store->on_test_thread) << "the occupants' thread waited for the store";
  go.set_value();
  worker.drain();
  EXPECT_FALSE(worker_store->waited_out);
  EXPECT_TRUE(worker_store->names.contains("room1")) << "the space was not added to the bridge's store";
  std::vector<std::string> sent;
  spaces.tick([&](const std::string& s) { sent.push_back(s); });
  EXPECT_FALSE(any_contains(sent, "<destroy")) << "the space was destroyed for its occupants";
}

// The service's answer to the bridge's question about the recorded occupants.
std::string occupants_answer(const std::string& items) {
  return "<iq type='result' from='tptac9.com' to='cb1.tptac9.com' id='occ1'><occupants "
         "xmlns='urn:convene:callbridge:occupants'>" + items + "</occupants></iq>";
}

std::string occupant_item(const std::string& user, const std::string& nick) {
  return "<occupant space='room1' nick='" + nick + "' jid='" + user + "@tptac9.com/r' online='true'/>";
}

// A bridge back on a new connection, holding Alice and Bob in room1 from the last
// one; a missing occupant may be removed at the second answer that lacks it.
struct BackWithAliceAndBob {
  MemoryStore store = [] {
    MemoryStore s;
    s.names = {"room1"};
    return s;
  }();
  Spaces spaces{"cb1.tptac9.com", store};
  Driver d{spaces};
  BackWithAliceAndBob() {
    spaces.set_unrecorded_settle(std::chrono::milliseconds(0));
    join_recorded(d, "room1", "alice", "Alice");
    join_recorded(d, "room1", "bob", "Bob");
    spaces.connected([](const std::string&) {});
  }
};

// Back on a new connection, the bridge holds Bob from before, but the record does not
// have him any more (another instance held the name meanwhile and recorded his leave,
// or removed him as gone with his node). Once a later answer still lacks him, he is
// removed and told why, so his client joins again; kept, he would be in a room the
// next instance to take over does not know he is in.
TEST(Spaces, AnOccupantHeldHereButNoLongerRecordedIsRemovedAndTold) {
  BackWithAliceAndBob back;
  auto& [store, spaces, d] = back;
  auto out = d.send(occupants_answer(occupant_item("alice", "Alice")));
  EXPECT_EQ(spaces.occupant_count(), 2) << "removed on the first answer";
  EXPECT_FALSE(any_contains(out, "<presence"));
  out = d.send(occupants_answer(occupant_item("alice", "Alice")));
  EXPECT_EQ(spaces.occupant_count(), 1);
  EXPECT_EQ(count_with(out, {"to='bob@tptac9.com/r'", "type='unavailable'", "code='110'", "code='333'"}), 1)
      << "Bob was not told he is out";
  EXPECT_EQ(count_with(out, {"from='room1@cb1.tptac9.com/Bob'", "to='alice@tptac9.com/r'", "type='unavailable'"}), 1)
      << "Alice was not told Bob left";
  EXPECT_EQ(count_with(out, {"<leave", "nick='Bob'"}), 1) << "the leave was not recorded";
  auto msg = d.send(groupchat("alice", "g1"));
  EXPECT_FALSE(any_contains(msg, "to='bob@tptac9.com/r'"));
  EXPECT_TRUE(any_contains(msg, "to='alice@tptac9.com/r'"));
}

// A record confirmed just before its leader's node died may reach the other nodes'
// copies only after an election: the first answer lacking Bob, or one from a node
// whose copy is not current, removes nobody, and one that has him again keeps him.
TEST(Spaces, AnOccupantMissingFromALaggingRecordStays) {
  BackWithAliceAndBob back;
  auto& [store, spaces, d] = back;
  auto out = d.send(occupants_answer(occupant_item("alice", "Alice")));
  auto not_current = occupants_answer(occupant_item("alice", "Alice"));
  not_current.replace(not_current.find(":occupants'>"), 12, ":occupants' current='false'>");
  auto more = d.send(not_current);
  out.insert(out.end(), more.begin(), more.end());
  more = d.send(occupants_answer(occupant_item("alice", "Alice") + occupant_item("bob", "Bob")));
  out.insert(out.end(), more.begin(), more.end());
  more = d.send(occupants_answer(occupant_item("alice", "Alice") + occupant_item("bob", "Bob")));
  out.insert(out.end(), more.begin(), more.end());
  EXPECT_EQ(spaces.occupant_count(), 2);
  EXPECT_FALSE(any_contains(out, "<presence"));
  EXPECT_TRUE(any_contains(d.send(groupchat("alice", "g1")), "to='bob@tptac9.com/r'"));
}

// While connected, the occupants are read back every so often: a bridge that stayed
// connected to a node cut off from the others kept serving Bob while a standby on the
// other side recorded his removal. The re-reads find the record without him, and the
// second one removes him, told why.
TEST(Spaces, TheOccupantsAreReadBackWhileConnectedAndTheRecordWins) {
  BackWithAliceAndBob back;
  auto& [store, spaces, d] = back;
  d.send(occupants_answer(occupant_item("alice", "Alice") + occupant_item("bob", "Bob")));
  spaces.set_reread_every(std::chrono::milliseconds(0));
  std::vector<std::string> out;
  auto collect = [&](const std::string& s) { out.push_back(s); };
  for (int answer = 0; answer < 2; ++answer) {
    out.clear();
    spaces.tick(collect);
    ASSERT_TRUE(any_contains(out, "<occupants")) << "not asked again";
    auto more = d.send(occupants_answer(occupant_item("alice", "Alice")));
    out.insert(out.end(), more.begin(), more.end());
  }
  EXPECT_EQ(spaces.occupant_count(), 1);
  EXPECT_EQ(count_with(out, {"to='bob@tptac9.com/r'", "type='unavailable'", "code='333'"}), 1);
}

// Who is recorded and held here stays, and is sent nothing: the room just goes on.
TEST(Spaces, OccupantsHeldHereAndRecordedStayWithoutAWord) {
  BackWithAliceAndBob back;
  auto& [store, spaces, d] = back;
  auto out = d.send(occupants_answer(occupant_item("alice", "Alice") + occupant_item("bob", "Bob")));
  EXPECT_EQ(spaces.occupant_count(), 2);
  EXPECT_FALSE(any_contains(out, "<presence")) << out.front();
}

}  // namespace
}  // namespace convene::callbridge
