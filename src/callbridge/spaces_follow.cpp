// Spaces: following the store. Every kFollowEvery the spaces and their settings are
// read back (an operator may add or remove a space with mmp on any node), and the
// tick that drives it. With a StoreWorker the reading happens on its thread and
// the answer is taken here later, so a database that does not answer never holds
// the occupants' stanzas (store_worker.h says why).
#include <chrono>
#include <set>
#include <string>
#include <vector>

#include "callbridge/spaces.h"
#include "util/log.h"

namespace convene::callbridge {

void Spaces::follow_store(const Send& send) {
  StoreSnapshot s;  // read_at: now, before the reading
  s.names = store_.list();
  if (s.names) s.settings = store_.settings();
  follow(s, send);
}

void Spaces::follow(const StoreSnapshot& snapshot, const Send& send) {
  if (!snapshot.names || !snapshot.settings) return;  // the store is away: the spaces known here go on
  std::set<std::string> now(snapshot.names->begin(), snapshot.names->end());
  std::vector<std::string> gone;
  // A space known here only since the reading began (created by a join, or taken in
  // with its occupants from another instance) is not gone: the snapshot predates it.
  // The worker's snapshot may be old: a standby's first one waits, untaken, until
  // it holds the bridge's name.
  for (auto& [name, since] : known_)
    if (!now.contains(name) && since < snapshot.read_at) gone.push_back(name);
  for (auto& name : gone) {
    logger("callbridge")->info("space {} was removed from the store: destroyed for its occupants", name);
    (void)destroy(name, "The space was removed", send);
  }
  for (auto& name : now)
    if (know(name, snapshot.read_at)) logger("callbridge")->info("space {} was added to the store", name);
  for (auto& [name, text] : *snapshot.settings)
    if (auto parsed = settings_from_json(text); parsed && now.contains(name)) settings_[name] = std::move(*parsed);
  loaded_ = true;
}

void Spaces::flush_history() {
  write_history();
  if (worker_) worker_->drain();
}

void Spaces::tick(const Send& send) {
  write_history_when_due(send);
  if (worker_ && !history_reading_.empty()) take_read_histories(send);
  if (!pending_joins_.empty()) expire_pending_joins(send);
  auto now = std::chrono::steady_clock::now();
  if (!restoring_ && worker_) {
    if (auto snapshot = worker_->take_snapshot()) follow(*snapshot, send);
    // Asked every kFollowEvery whatever the last answer was: the worker waits, not us.
    if (now >= follow_at_ && worker_->ask_snapshot()) follow_at_ = now + kFollowEvery;
  } else if (!restoring_ && now >= follow_at_) {
    follow_store(send);
    // After a failure, rarely: each try waits for the store (the connector's thread),
    // and occupants must keep talking while the database cluster fails over.
    follow_at_ = now + (store_.info().problem.empty() ? kFollowEvery : kFollowAfterFailure);
  }
  if (restoring_ && std::chrono::steady_clock::now() >= restoring_until_) {
    logger("callbridge")->warn("no answer about the occupants in {} s: handling {} held stanza(s)",
                               kRestoreWait.count(), held_.size());
    end_restoring(send);
  }
  constexpr std::chrono::steady_clock::time_point never{};
  const bool again = ask_again_at_ != never && now >= ask_again_at_;
  const bool reread = !restoring_ && reread_at_ != never && now >= reread_at_;
  if (!again && !reread) return;
  ask_again_at_ = {};
  reread_at_ = now + reread_every_;
  ask_occupants(send);
}

}  // namespace convene::callbridge
