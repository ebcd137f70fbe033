#pragma once
// The spaces' routine store work on a thread of its own (`cb-store`), so the call
// bridge's connection never waits for the database while occupants talk.
//
// Why: the connection's thread handles every stanza. It used to write the group
// messages' history (every 200 ms while a space is busy) and read the spaces back
// (every 2 s) itself. When the database master froze or was cut off, each of those
// waited out the statement deadline, then libpq's connect_timeout on the silent
// host, a few times over (pg/session.h): 4-5 s in which no group message moved,
// though the messages themselves need no database.
//
// What goes here: history writes (queued, in order, one commit per batch), the
// periodic read of the spaces and their settings (asked for, answered later), and
// the spaces a bridge taking over learns of with their occupants (added to its
// store: with a shared database they are there already, and the master may be the
// node that just died, so the occupants must not wait for that answer). What
// stays on the connection's thread: what a user waits for anyway (creating a
// space on join, saving its configuration, destroying it, the first read of its
// history, after drain() when the history must be complete first). A joiner's first
// read of a space's history is asked here too (ask_history), after what is queued:
// read on the connection's thread, a master that had just died held every
// occupant's group messages while the joiner waited (seen in a chaos run: 3.7 s).
//
// The worker has a store of its own (space_store.h: one thread at a time each):
// one more connection to the database cluster. Bounded: at most kMaxQueued
// history entries wait; beyond that new ones are dropped from the history (never
// from the occupants) and counted in the log.
//
// Threads: every method from the connection's thread; the worker's own thread
// only runs the store.
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "callbridge/space_store.h"

namespace convene::callbridge {

// The spaces and their settings as the store has them now (follow_store).
struct StoreSnapshot {
  // When the reading began: a space this bridge came to know after it may be
  // missing from the snapshot without having been removed (Spaces::follow).
  std::chrono::steady_clock::time_point read_at = std::chrono::steady_clock::now();
  Result<std::vector<std::string>> names = std::vector<std::string>{};
  Result<std::map<std::string, std::string>> settings = std::map<std::string, std::string>{};
};

class StoreWorker {
 public:
  static constexpr std::size_t kMaxQueued = 65536;

  explicit StoreWorker(std::unique_ptr<SpaceStore> store);
  // Writes what is queued (each write bounded by the store's own deadlines), then ends.
  ~StoreWorker();
  StoreWorker(const StoreWorker&) = delete;
  StoreWorker& operator=(const StoreWorker&) = delete;

  // Queues history entries (space name, entry), written in this order.
  void add_histories(std::vector<std::pair<std::string, HistoryEntry>> entries, int keep);
  // Queues spaces to be added to the store if missing (SpaceStore::ensure), before
  // the history queued after them and before the next snapshot is read.
  void add_spaces(std::vector<std::string> names);
  // Returns once every space and history entry queued so far is written (or failed), and the
  // snapshot and histories asked for, if any, are read.
  void drain();
  // Asks for `space`'s kept history, read after every entry queued so far is written.
  void ask_history(std::string space);
  // The histories read since the last call (or the store's failure for each), in the order asked.
  std::vector<std::pair<std::string, Result<std::vector<HistoryEntry>>>> take_histories();
  // Asks for a snapshot; false when one is already being read.
  bool ask_snapshot();
  // The snapshot asked for, once read (then forgotten).
  std::optional<StoreSnapshot> take_snapshot();
  // The worker's store (its last failure included).
  StoreInfo info() const;

 private:
  void run();

  std::unique_ptr<SpaceStore> store_;
  mutable std::mutex mu_;
  std::condition_variable wake_, done_;
  std::vector<std::string> spaces_;
  std::vector<std::pair<std::string, HistoryEntry>> queued_;
  int keep_ = 0;
  std::uint64_t queued_batches_ = 0, written_batches_ = 0;
  bool snapshot_asked_ = true;  // a first snapshot at once (the constructor says why)
  bool reading_ = false, stopping_ = false;
  std::optional<StoreSnapshot> snapshot_;
  std::vector<std::pair<std::string, std::uint64_t>> histories_asked_;  // (space, queued_batches_ when asked)
  std::vector<std::pair<std::string, Result<std::vector<HistoryEntry>>>> histories_read_;
  std::size_t dropped_ = 0;
  StoreInfo info_;
  std::thread thread_;
};

}  // namespace convene::callbridge
