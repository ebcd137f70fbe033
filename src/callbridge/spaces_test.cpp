// Spaces over an in-memory store that can be made to fail: joining a space the
// call bridge already knows needs no database (occupants keep going while the
// database cluster fails over); creating one does, and a failure is an XMPP error
// that leaves nothing behind.
#include "callbridge/spaces.h"

#include <gtest/gtest.h>

#include <future>
#include <optional>

#include "callbridge/spaces_test_support.h"

namespace convene::callbridge {
namespace {
using namespace spaces_testing;

TEST(Spaces, KnownSpacesAreJoinedWithoutTheDatabase) {
  MemoryStore store;
  store.names = {"room1"};
  Spaces spaces("cb1.tptac9.com", store);
  EXPECT_EQ(spaces.names(), std::vector<std::string>{"room1"});
  Driver d(spaces);
  store.failing = true;
  auto out = join_recorded(d, "room1", "alice", "Alice");
  EXPECT_TRUE(any_contains(out, "code='110'")) << out.size();
  EXPECT_FALSE(any_contains(out, "code='201'"));
  EXPECT_FALSE(any_contains(out, "internal-server-error"));
  EXPECT_EQ(store.writes, 0);
  EXPECT_EQ(spaces.occupant_count(), 1);
}

TEST(Spaces, CreatingASpaceWhileTheDatabaseFailsIsAnErrorAndLeavesNothing) {
  MemoryStore store;
  store.failing = true;
  Spaces spaces("cb1.tptac9.com", store);  // the list cannot be read yet
  Driver d(spaces);
  auto out = d.send(join("room2", "alice", "Alice"));
  ASSERT_EQ(out.size(), 1u);
  EXPECT_NE(out[0].find("type='wait'"), std::string::npos) << out[0];
  EXPECT_NE(out[0].find("internal-server-error"), std::string::npos) << out[0];
  EXPECT_EQ(spaces.occupant_count(), 0);
  EXPECT_TRUE(spaces.names().empty());

  // The database is back: the join creates the space (201), and the list missed at
  // start is read then.
  store.failing = false;
  store.names.insert("older");
  out = join_recorded(d, "room2", "alice", "Alice");
  EXPECT_TRUE(any_contains(out, "code='201'"));
  EXPECT_EQ(spaces.names(), (std::vector<std::string>{"older", "room2"}));
  EXPECT_EQ(spaces.occupant_count(), 1);
}

// A join is confirmed (self-presence, status 110) only once the XMPP service has
// recorded the occupant: confirmed earlier, it was lost when the bridge's node died
// before the record landed.
TEST(Spaces, AJoinIsConfirmedOnlyAfterTheServiceRecordedIt) {
  MemoryStore store;
  store.names = {"room1"};
  Spaces spaces("cb1.tptac9.com", store);
  Driver d(spaces);
  join_recorded(d, "room1", "bob", "Bob");

  auto out = d.send(join("room1", "alice", "Alice"));
  auto id = record_id(out);
  ASSERT_FALSE(id.empty());
  EXPECT_FALSE(any_contains(out, "code='110'"));
  EXPECT_FALSE(any_contains(out, "to='bob@tptac9.com/r'")) << "the room heard of an unconfirmed join";
  EXPECT_EQ(spaces.occupant_count(), 1);

  // Someone else asking for the nick meanwhile is refused: it is being recorded.
  auto other = d.send(join("room1", "carol", "Alice"));
  EXPECT_TRUE(any_contains(other, "conflict"));

  out = d.send(recorded(id));
  EXPECT_TRUE(any_contains(out, "code='110'"));
  EXPECT_TRUE(any_contains(out, "<subject"));
  EXPECT_TRUE(any_contains(out, "to='bob@tptac9.com/r'"));
  EXPECT_EQ(spaces.occupant_count(), 2);
}

TEST(Spaces, AJoinTheServiceCouldNotRecordIsAnErrorAndNobodyHearsOfIt) {
  MemoryStore store;
  store.names = {"room1"};
  Spaces spaces("cb1.tptac9.com", store);
  Driver d(spaces);
  join_recorded(d, "room1", "bob", "Bob");

  auto out = d.send(join("room1", "alice", "Alice"));
  out = d.send(recorded(record_id(out), false));
  ASSERT_EQ(out.size(), 1u);
  EXPECT_NE(out[0].find("type='error'"), std::string::npos) << out[0];
  EXPECT_NE(out[0].find("internal-server-error"), std::string::npos) << out[0];
  EXPECT_NE(out[0].find("to='alice@tptac9.com/r'"), std::string::npos) << out[0];
  EXPECT_EQ(spaces.occupant_count(), 1);

  // The nick is free again and a message from the refused joiner is not taken.
  auto msg = d.send("<message from='alice@tptac9.com/r' to='room1@cb1.tptac9.com' type='groupchat'><body>hi</body></message>");
  EXPECT_TRUE(any_contains(msg, "not-acceptable"));
  out = join_recorded(d, "room1", "carol", "Alice");
  EXPECT_TRUE(any_contains(out, "code='110'"));
}

// A group message reaches the occupants and the in-memory history at once, and the
// store at a tick kHistoryDelay later (several in one write): a store write per
// message paced a busy space. A joiner in between still gets it in the history.
TEST(Spaces, GroupMessagesAreKeptInTheStoreAtALaterTick) {
  MemoryStore store;
  store.names = {"room1"};
  Spaces spaces("cb1.tptac9.com", store);
  Driver d(spaces);
  join_recorded(d, "room1", "alice", "Alice");
  auto out = d.send("<message from='alice@tptac9.com/r' to='room1@cb1.tptac9.com' type='groupchat' id='m1'>"
                    "<body>hello</body></message>");
  EXPECT_TRUE(any_contains(out, "hello"));
  EXPECT_TRUE(store.stored_history["room1"].empty()) << "written before the tick";
  auto joined = join_recorded(d, "room1", "bob", "Bob");
  EXPECT_TRUE(any_contains(joined, "hello")) << "the history a joiner gets lacks the unwritten message";
  spaces.tick([](const std::string&) {});
  EXPECT_TRUE(store.stored_history["room1"].empty()) << "written at the first tick, before kHistoryDelay";
  // Ticks until it is written (bounded: 50 times kHistoryDelay).
  const auto deadline = std::chrono::steady_clock::now() + 50 * Spaces::kHistoryDelay;
  while (store.stored_history["room1"].empty() && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));  // the delay being tested, not a synchronisation
    spaces.tick([](const std::string&) {});
  }
  ASSERT_EQ(store.stored_history["room1"].size(), 1u);
  EXPECT_NE(store.stored_history["room1"][0].stanza.find("hello"), std::string::npos);
  spaces.tick([](const std::string&) {});
  spaces.write_history();
  EXPECT_EQ(store.stored_history["room1"].size(), 1u) << "written twice";
}

}  // namespace
}  // namespace convene::callbridge

namespace convene::callbridge {
namespace {
using namespace spaces_testing;

std::string disco(const std::string& ns, const std::string& to) {
  return "<iq type='get' id='d1' from='bob@tptac9.com/r' to='" + to + "'><query xmlns='" + ns + "'/></iq>";
}

constexpr const char* kItems = "http://jabber.org/protocol/disco#items";
constexpr const char* kInfo = "http://jabber.org/protocol/disco#info";

// XEP-0045 §6.3: the bridge lists every space by JID and name (its configured name,
// else its own), which a web client shows as its list of meetings.
TEST(SpacesDisco, TheBridgeListsEverySpaceWithItsName) {
  MemoryStore store;
  store.names = {"standup", "weekly"};
  RoomSettings weekly;
  weekly.config.name = "Weekly <sync>";
  store.stored_settings["weekly"] = settings_to_json(weekly);
  Spaces spaces("cb1.tptac9.com", store);
  Driver d(spaces);
  auto out = d.send(disco(kItems, "cb1.tptac9.com"));
  ASSERT_EQ(out.size(), 1u);
  EXPECT_NE(out[0].find("type='result'"), std::string::npos) << out[0];
  EXPECT_NE(out[0].find("jid='standup@cb1.tptac9.com' name='standup'"), std::string::npos) << out[0];
  EXPECT_NE(out[0].find("jid='weekly@cb1.tptac9.com' name='Weekly &lt;sync&gt;'"), std::string::npos) << out[0];
  EXPECT_EQ(out[0].find("service-unavailable"), std::string::npos);

  // A space lists nothing (occupants stay private); an unknown one is not found.
  auto room = d.send(disco(kItems, "standup@cb1.tptac9.com"));
  ASSERT_EQ(room.size(), 1u);
  EXPECT_NE(room[0].find("type='result'"), std::string::npos) << room[0];
  EXPECT_EQ(room[0].find("<item"), std::string::npos) << room[0];
  auto unknown = d.send(disco(kItems, "nosuch@cb1.tptac9.com"));
  ASSERT_EQ(unknown.size(), 1u);
  EXPECT_NE(unknown[0].find("item-not-found"), std::string::npos) << unknown[0];
}

// disco#info: the bridge is a conference service; a space says its name and MUC features.
TEST(SpacesDisco, InfoNamesTheServiceAndTheSpace) {
  MemoryStore store;
  store.names = {"standup"};
  Spaces spaces("cb1.tptac9.com", store);
  Driver d(spaces);
  auto service = d.send(disco(kInfo, "cb1.tptac9.com"));
  ASSERT_EQ(service.size(), 1u);
  EXPECT_NE(service[0].find("category='conference'"), std::string::npos) << service[0];
  EXPECT_NE(service[0].find("var='http://jabber.org/protocol/disco#items'"), std::string::npos) << service[0];
  auto room = d.send(disco(kInfo, "standup@cb1.tptac9.com"));
  ASSERT_EQ(room.size(), 1u);
  EXPECT_NE(room[0].find("name='standup'"), std::string::npos) << room[0];
  EXPECT_NE(room[0].find("var='http://jabber.org/protocol/muc'"), std::string::npos) << room[0];
  EXPECT_NE(room[0].find("muc#roominfo_occupants"), std::string::npos) << room[0];
}

}  // namespace
}  // namespace convene::callbridge

namespace convene::callbridge {
namespace {
using namespace spaces_testing;


// A client whose session was lost joins again with the same JID and nick: it gets
// the space as on a first join (it forgot who was there), the others a presence update.
TEST(Spaces, AJoinFromTheSameJidIsARejoinThatGetsEveryonesPresence) {
  MemoryStore store;
  store.names = {"room1"};
  Spaces spaces("cb1.tptac9.com", store);
  Driver d(spaces);
  join_recorded(d, "room1", "alice", "Alice");
  join_recorded(d, "room1", "bob", "Bob");

  auto again = d.send(join("room1", "bob", "Bob"));
  EXPECT_EQ(count_with(again, {"from='room1@cb1.tptac9.com/Alice'", "to='bob@tptac9.com/r'"}), 1);
  EXPECT_EQ(count_with(again, {"from='room1@cb1.tptac9.com/Bob'", "to='bob@tptac9.com/r'", "code='110'"}), 1);
  EXPECT_EQ(count_with(again, {"from='room1@cb1.tptac9.com/Bob'", "to='alice@tptac9.com/r'"}), 1);
  EXPECT_EQ(count_with(again, {"<subject", "to='bob@tptac9.com/r'"}), 1);
  EXPECT_FALSE(any_contains(again, "conflict"));
  EXPECT_EQ(spaces.occupant_count(), 2);

  // A presence update (no <x/>) is not a rejoin: nobody else's presence is sent to Bob.
  auto update = d.send("<presence from='bob@tptac9.com/r' to='room1@cb1.tptac9.com/Bob'><show>away</show></presence>");
  EXPECT_EQ(count_with(update, {"from='room1@cb1.tptac9.com/Alice'", "to='bob@tptac9.com/r'"}), 0);
  EXPECT_EQ(count_with(update, {"from='room1@cb1.tptac9.com/Bob'", "to='alice@tptac9.com/r'", "away"}), 1);
}



// The worker's snapshot can be older than what the bridge knows: a standby reads its
// first one at start and takes it only once it holds the bridge's name, after its
// occupants were taken in. A space that came after the reading began is not gone.
TEST(Spaces, ASnapshotReadBeforeASpaceExistedDoesNotRemoveIt) {
  MemoryStore store;
  StoreWorker worker(std::make_unique<MemoryStore>());  // no spaces there when it reads
  worker.drain();  // its first snapshot is read now, and waits to be taken
  Spaces spaces("cb1.tptac9.com", store);
  spaces.use_worker(&worker);
  Driver d(spaces);
  join_recorded(d, "room1", "alice", "Alice");  // creates room1: no history to read
  std::vector<std::string> out;
  spaces.tick([&](const std::string& s) { out.push_back(s); });
  EXPECT_FALSE(any_contains(out, "<destroy")) << "the space was destroyed for its occupants";
  EXPECT_EQ(spaces.names(), std::vector<std::string>{"room1"});
  EXPECT_TRUE(any_contains(d.send(groupchat("alice", "g1")), "id='g1'"));
}

// The history is written by the store worker: a database that does not answer holds
// that thread, never the next group message (it held every message of the space for
// 4-5 s when the database master froze).
TEST(Spaces, AStalledStoreHoldsTheHistoryWorkerNotTheOccupants) {
  std::promise<void> go;
  auto go_on = go.get_future().share();
  StallingStore store(go_on);
  store.names = {"room1"};
  auto own = std::make_unique<StallingStore>(go_on);
  own->names = {"room1"};
  auto* worker_store = own.get();
  StoreWorker worker(std::move(own));
  Spaces spaces("cb1.tptac9.com", store);
  spaces.use_worker(&worker);
  Driver d(spaces);
  join_recorded(d, spaces, worker, "room1", "alice", "Alice");
  join_recorded(d, spaces, worker, "room1", "bob", "Bob");

  EXPECT_TRUE(any_contains(d.send(groupchat("alice", "g1")), "id='g1'"));
  spaces.write_history();  // what the tick does once g1 waited kHistoryDelay
  EXPECT_TRUE(any_contains(d.send(groupchat("bob", "g2")), "id='g2'"));
  EXPECT_FALSE(store.on_test_thread || worker_store->on_test_thread) << "the occupants' thread waited for the store";
  EXPECT_FALSE(store.waited_out || worker_store->waited_out);
  go.set_value();
  spaces.write_history();
  worker.drain();
  EXPECT_EQ(worker_store->stored_history["room1"].size(), 2u);
  EXPECT_TRUE(store.stored_history["room1"].empty());  // never written there
  EXPECT_EQ(store.history_reads, 0) << "the occupants' thread read the history";
}

// A joiner's history is read by the worker too: a store that does not answer holds
// that joiner, never the group messages of those already in. Read on the occupants'
// thread, it held every message of a space taken over with its occupants, while the
// database master was gone (seen in a chaos run: 3.7 s without their echo).
TEST(Spaces, AJoinerWaitingForTheHistoryHoldsNobodyElse) {
  std::promise<void> go;
  auto go_on = go.get_future().share();
  StallingStore store(go_on);
  store.names = {"room1"};
  store.stall_history = true;
  auto own = std::make_unique<StallingStore>(go_on);
  own->names = {"room1"};
  own->stored_history["room1"] = {said_before("Alice", "before", 1000)};
  own->stall_history = true;
  auto* worker_store = own.get();
  StoreWorker worker(std::move(own));
  Spaces spaces("cb1.tptac9.com", store);
  spaces.use_worker(&worker);
  Driver d(spaces);
  // Alice and Bob taken over with the space (their record read back): its history is not here yet.
  take_over_alice_and_bob(spaces, d);

  auto carol = join_recorded(d, "room1", "carol", "Carol");
  EXPECT_FALSE(any_contains(carol, "code='110'")) << "let in before its history was read";
  auto out = d.send(groupchat("alice", "g1"));
  EXPECT_TRUE(any_contains(out, "to='bob@tptac9.com/r'")) << "a joiner's history read held the space";
  EXPECT_FALSE(any_contains(out, "to='carol@tptac9.com/r'"));
  EXPECT_FALSE(store.on_test_thread || worker_store->on_test_thread) << "the occupants' thread waited for the store";

  go.set_value();
  worker.drain();
  std::vector<std::string> in;
  spaces.tick([&](const std::string& s) { in.push_back(s); });
  EXPECT_FALSE(worker_store->waited_out);
  EXPECT_TRUE(any_contains(in, "<body>before</body>")) << "the joiner did not get the stored history";
  EXPECT_EQ(count_with(in, {"to='carol@tptac9.com/r'", "<body>g1</body>"}), 1)
      << "what was said while the history was read is not in it exactly once";
  EXPECT_TRUE(any_contains(in, "code='110'"));
  EXPECT_TRUE(any_contains(in, "<subject"));
  EXPECT_TRUE(any_contains(d.send(groupchat("bob", "g2")), "to='carol@tptac9.com/r'"));
}

// An occupant joining again (its client lost its session) gets the history as on a
// first join: when the space's history is not here yet, once the worker has read it.
TEST(Spaces, ARejoinWaitsForTheHistoryTheWorkerReads) {
  MemoryStore store;
  store.names = {"room1"};
  auto own = std::make_unique<MemoryStore>();
  own->names = {"room1"};
  own->stored_history["room1"] = {said_before("Bob", "before", 1000)};
  StoreWorker worker(std::move(own));
  Spaces spaces("cb1.tptac9.com", store);
  spaces.use_worker(&worker);
  Driver d(spaces);
  take_over_alice_and_bob(spaces, d);

  auto asked = d.send(join("room1", "alice", "Alice"));
  EXPECT_FALSE(any_contains(asked, "code='110'")) << "answered before the history was read";
  worker.drain();
  std::vector<std::string> in;
  spaces.tick([&](const std::string& s) { in.push_back(s); });
  EXPECT_TRUE(any_contains(in, "<body>before</body>"));
  EXPECT_TRUE(any_contains(in, "code='110'"));
  EXPECT_TRUE(any_contains(in, "<subject"));
  EXPECT_EQ(store.history_reads, 0) << "the occupants' thread read the history";
}

// A history that could not be read (the database was away when the space was
// joined) is not read again for every group message: each read waited for the
// store on the occupants' thread. It is read when a joiner needs it, and then has
// the messages said meanwhile.
TEST(Spaces, GroupMessagesDoNotReadTheHistory) {
  MemoryStore store;
  store.names = {"room1"};
  Spaces spaces("cb1.tptac9.com", store);
  Driver d(spaces);
  store.failing = true;
  join_recorded(d, "room1", "alice", "Alice");
  store.failing = false;
  const int reads = store.history_reads;
  for (auto id : {"g1", "g2", "g3"}) EXPECT_TRUE(any_contains(d.send(groupchat("alice", id)), id));
  EXPECT_EQ(store.history_reads, reads);
  auto out = join_recorded(d, "room1", "bob", "Bob");
  EXPECT_EQ(store.history_reads, reads + 1);
  EXPECT_TRUE(any_contains(out, "<body>g3</body>")) << "the joiner's history lacks what was said meanwhile";
}

TEST(StoreWorker, WritesInOrderAndDrainWaitsForWhatWasQueued) {
  auto own = std::make_unique<MemoryStore>();
  auto* kept = own.get();
  StoreWorker worker(std::move(own));
  for (int i = 0; i < 50; ++i) worker.add_histories({{"room1", HistoryEntry{i, "m" + std::to_string(i)}}}, 40);
  worker.drain();
  auto& h = kept->stored_history["room1"];
  ASSERT_EQ(h.size(), 40u);  // `keep` applied
  EXPECT_EQ(h.front().stanza, "m10");
  EXPECT_EQ(h.back().stanza, "m49");
}

// A history is read after every entry queued before it was asked, also those queued
// while the worker was writing an earlier batch: read right after that batch, the
// joiner's history lacked what was said just before it joined.
TEST(StoreWorker, AHistoryIsReadAfterEverythingQueuedBeforeTheAsk) {
  struct FirstWriteWaits : MemoryStore {
    std::promise<void> writing, go;
    bool first = true;
    Status add_histories(const std::vector<std::pair<std::string, HistoryEntry>>& entries, int keep) override {
      if (std::exchange(first, false)) {
        writing.set_value();
        (void)go.get_future().wait_for(std::chrono::seconds(3));
      }
      return MemoryStore::add_histories(entries, keep);
    }
  };
  auto own = std::make_unique<FirstWriteWaits>();
  auto* store = own.get();
  auto writing = store->writing.get_future();
  StoreWorker worker(std::move(own));
  worker.add_histories({{"room1", HistoryEntry{1, "m1"}}}, 50);
  writing.wait();  // the worker is writing m1
  worker.add_histories({{"room1", HistoryEntry{2, "m2"}}}, 50);
  worker.ask_history("room1");
  store->go.set_value();
  worker.drain();
  auto read = worker.take_histories();
  ASSERT_EQ(read.size(), 1u);
  ASSERT_TRUE(read[0].second);
  EXPECT_EQ(read[0].second->size(), 2u) << "read before m2, queued before the ask, was written";
  EXPECT_TRUE(worker.take_histories().empty()) << "taken once";
}

TEST(StoreWorker, ASnapshotIsReadOnceAskedAndTakenOnce) {
  auto own = std::make_unique<MemoryStore>();
  own->names = {"a", "b"};
  own->stored_settings["a"] = "{}";
  StoreWorker worker(std::move(own));
  worker.drain();
  EXPECT_TRUE(worker.take_snapshot());   // the first, read at start
  EXPECT_FALSE(worker.take_snapshot());  // taken once
  ASSERT_TRUE(worker.ask_snapshot());
  worker.drain();
  auto s = worker.take_snapshot();
  ASSERT_TRUE(s);
  ASSERT_TRUE(s->names);
  EXPECT_EQ(*s->names, (std::vector<std::string>{"a", "b"}));
  ASSERT_TRUE(s->settings);
  EXPECT_EQ(s->settings->size(), 1u);
  EXPECT_FALSE(worker.take_snapshot());
}

TEST(StoreWorker, AStoreThatFailsGivesAFailedSnapshot) {
  auto own = std::make_unique<MemoryStore>();
  own->failing = true;
  StoreWorker worker(std::move(own));
  worker.drain();  // the first snapshot, read at start
  auto s = worker.take_snapshot();
  ASSERT_TRUE(s);
  EXPECT_FALSE(s->names);
}

}  // namespace
}  // namespace convene::callbridge
