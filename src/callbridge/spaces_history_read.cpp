// Spaces: a joiner's first read of a space's history, by the store worker. A space
// whose history is not here yet (this process took it over with its occupants, or
// restarted) has it read when someone joins; on the connection's thread, that read
// waited first for the history queued before it and then for the store, and with
// the database master just gone no occupant's group message moved meanwhile (seen in
// a chaos run: 3.7 s without the space's echo for the occupants that stayed). Now the
// worker reads it, the joiner alone waits (in pending_joins_, recorded), and is let
// in without it if it has not come by the join's deadline.
#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "callbridge/spaces.h"
#include "util/log.h"

namespace convene::callbridge {

bool Spaces::history_at_hand(const std::string& room_name) {
  if (!worker_ || history_.contains(room_name)) return true;
  if (!history_reading_.contains(room_name)) {
    write_history();  // queued before the read: the store's copy is complete up to now
    worker_->ask_history(room_name);
    history_reading_[room_name];
  }
  return false;
}

void Spaces::take_read_histories(const Send& send) {
  for (auto& [room_name, read] : worker_->take_histories()) {
    auto reading = history_reading_.find(room_name);
    if (reading == history_reading_.end()) continue;  // destroyed meanwhile
    std::vector<HistoryEntry> said_meanwhile = std::move(reading->second);
    history_reading_.erase(reading);
    if (read) {
      // What was said since the ask, unless the read already had it (written before it).
      auto kept = std::move(*read);  // at most kHistoryKept: a linear search each is cheap
      for (auto& e : said_meanwhile)
        if (std::find(kept.begin(), kept.end(), e) == kept.end()) kept.push_back(std::move(e));
      if (kept.size() > static_cast<std::size_t>(kHistoryKept)) kept.erase(kept.begin(), kept.end() - kHistoryKept);
      history_[room_name] = std::move(kept);
    } else {
      logger("callbridge")->warn("space {}: history cannot be read: {}", room_name, read.error().text());
    }
    for (auto it = pending_joins_.begin(); it != pending_joins_.end();) {
      if (!it->second.recorded || it->second.room != room_name) {
        ++it;
        continue;
      }
      PendingJoin join = std::move(it->second);
      it = pending_joins_.erase(it);
      finish_join(join, send);
    }
  }
}

void Spaces::finish_join(const PendingJoin& join, const Send& send) {
  if (!join.rejoin) return complete_join(join, send);
  // Still held by the same user (it may have left while the history was read).
  auto room = rooms_.find(join.room);
  if (room == rooms_.end()) return;
  auto held = room->second.by_nick.find(join.nick);
  if (held != room->second.by_nick.end() && held->second.jid == join.occupant.jid) send_rejoin(join, send);
}

}  // namespace convene::callbridge
