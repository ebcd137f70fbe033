// Spaces: a rejoin. A join (<x xmlns=muc/>) from the full JID that already holds the
// nick comes from a client that lost its session (its node died, its resume failed)
// and came back with the same resource: it has forgotten the room, so it gets what a
// first join gets; the others see a presence update. spaces.cpp has recorded it with
// the XMPP service first, as for any presence update.
#include <chrono>
#include <string>
#include <utility>

#include "callbridge/spaces.h"

#include "util/log.h"

namespace convene::callbridge {

void Spaces::rejoin(const std::string& room_name, const std::string& nick, const Occupant& occupant,
                    const xml::Element* muc_x, const Send& send) {
  PendingJoin again{room_name, nick, occupant, false, std::chrono::steady_clock::now() + kJoinRecordWait,
                    parse_history_request(muc_x), true, true};
  if (history_at_hand(room_name)) return send_rejoin(again, send);
  pending_joins_["hist" + std::to_string(++asked_)] = std::move(again);
}

void Spaces::send_rejoin(const PendingJoin& again, const Send& send) {
  const std::string& room_name = again.room;
  const std::string& nick = again.nick;
  const Occupant& occupant = again.occupant;
  auto& room = rooms_[room_name];
  // The others: a presence update. The rejoiner: the space as on a first join.
  for (auto& [n, occ] : room.by_nick) {
    if (n == nick) continue;
    send(presence_from(room_name, n, occ, occupant.jid, {}));
    send(presence_from(room_name, nick, occupant, occ.jid, {}));
  }
  if (settings_of(room_name).config.non_anonymous)
    send(presence_from(room_name, nick, occupant, occupant.jid, {100, 110}));
  else
    send(presence_from(room_name, nick, occupant, occupant.jid, {110}));
  send_history(again, send);
  send_subject(room_name, occupant.jid, send);
  logger("callbridge")->info("{} joined space {} again as {}", occupant.jid, room_name, nick);
}

}  // namespace convene::callbridge
