#include "callbridge/store_worker.h"

#include <algorithm>

#include "util/log.h"
#include "util/thread_name.h"

namespace convene::callbridge {

// A first snapshot at once: the status reads this worker's store, and must say
// from the start whether the database answers (the connection's thread may not
// tick before the XMPP server takes the bridge).
StoreWorker::StoreWorker(std::unique_ptr<SpaceStore> store)
    : store_(std::move(store)), info_(store_->info()), thread_([this] { run(); }) {}

StoreWorker::~StoreWorker() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  wake_.notify_all();
  thread_.join();
}

void StoreWorker::add_histories(std::vector<std::pair<std::string, HistoryEntry>> entries, int keep) {
  if (entries.empty()) return;
  {
    std::lock_guard lock(mu_);
    keep_ = keep;
    for (auto& e : entries) {
      if (queued_.size() >= kMaxQueued) {
        if (dropped_++ % 1000 == 0)
          logger("callbridge")->warn("the spaces' store is behind: {} group message(s) not kept in the history so far",
                                     dropped_);
        continue;
      }
      queued_.push_back(std::move(e));
    }
    ++queued_batches_;
  }
  wake_.notify_all();
}

void StoreWorker::add_spaces(std::vector<std::string> names) {
  if (names.empty()) return;
  {
    std::lock_guard lock(mu_);
    for (auto& n : names) spaces_.push_back(std::move(n));
    ++queued_batches_;
  }
  wake_.notify_all();
}

void StoreWorker::drain() {
  std::unique_lock lock(mu_);
  const auto target = queued_batches_;
  done_.wait(lock, [&] {
    return written_batches_ >= target && !snapshot_asked_ && histories_asked_.empty() && !reading_;
  });
}

void StoreWorker::ask_history(std::string space) {
  {
    std::lock_guard lock(mu_);
    histories_asked_.emplace_back(std::move(space), queued_batches_);
  }
  wake_.notify_all();
}

std::vector<std::pair<std::string, Result<std::vector<HistoryEntry>>>> StoreWorker::take_histories() {
  std::lock_guard lock(mu_);
  return std::exchange(histories_read_, {});
}

bool StoreWorker::ask_snapshot() {
  {
    std::lock_guard lock(mu_);
    if (snapshot_asked_ || reading_) return false;
    snapshot_asked_ = true;
  }
  wake_.notify_all();
  return true;
}

std::optional<StoreSnapshot> StoreWorker::take_snapshot() {
  std::lock_guard lock(mu_);
  return std::exchange(snapshot_, std::nullopt);
}

StoreInfo StoreWorker::info() const {
  std::lock_guard lock(mu_);
  return info_;
}

void StoreWorker::run() {
  set_thread_name("cb-store");
  std::unique_lock lock(mu_);
  for (;;) {
    wake_.wait(lock, [this] {
      const bool history_due = std::any_of(histories_asked_.begin(), histories_asked_.end(),
                                           [this](auto& asked) { return asked.second <= written_batches_; });
      return stopping_ || !queued_.empty() || !spaces_.empty() || history_due || snapshot_asked_;
    });
    if (!queued_.empty() || !spaces_.empty()) {
      auto spaces = std::exchange(spaces_, {});
      auto batch = std::exchange(queued_, {});
      const auto upto = queued_batches_;
      const int keep = keep_;
      lock.unlock();
      for (auto& name : spaces)
        if (auto added = store_->ensure(name); !added)
          logger("callbridge")->warn("space {}: not in this bridge's store and it cannot be added now: {}", name,
                                     added.error().text());
      if (!batch.empty()) {
        auto st = store_->add_histories(batch, keep);
        if (!st)
          logger("callbridge")->warn("{} group message(s) not kept in the history: {}", batch.size(), st.error().text());
      }
      auto info = store_->info();
      lock.lock();
      info_ = std::move(info);
      written_batches_ = upto;
      done_.notify_all();
    }
    // A history is read once what was queued before it was asked is written (the
    // writes queued since may wait: while the database fails over, each one waits).
    std::vector<std::string> due;
    for (auto it = histories_asked_.begin(); it != histories_asked_.end();) {
      if (it->second > written_batches_) {
        ++it;
        continue;
      }
      due.push_back(std::move(it->first));
      it = histories_asked_.erase(it);
    }
    if (!due.empty()) {
      auto spaces = std::move(due);
      reading_ = true;
      lock.unlock();
      std::vector<std::pair<std::string, Result<std::vector<HistoryEntry>>>> read;
      for (auto& name : spaces) read.emplace_back(name, store_->history(name));
      auto info = store_->info();
      lock.lock();
      reading_ = false;
      for (auto& r : read) histories_read_.push_back(std::move(r));
      info_ = std::move(info);
      done_.notify_all();
      continue;
    }
    if (!queued_.empty() || !spaces_.empty()) continue;  // history first: a snapshot waits for what is queued
    if (snapshot_asked_) {
      snapshot_asked_ = false;
      reading_ = true;
      lock.unlock();
      StoreSnapshot s;  // read_at: now, before the reading
      s.names = store_->list();
      if (s.names) s.settings = store_->settings();
      auto info = store_->info();
      lock.lock();
      reading_ = false;
      snapshot_ = std::move(s);
      info_ = std::move(info);
      done_.notify_all();
      continue;
    }
    if (stopping_) return;
  }
}

}  // namespace convene::callbridge
