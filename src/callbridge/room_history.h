#pragma once
// The discussion history a joiner gets (XEP-0045 §7.2.15): the space keeps its last
// kHistoryKept groupchat messages (in its store, SpaceStore::add_history) and sends
// a joiner those its <history/> element asks for (maxstanzas, maxchars, seconds,
// since), each with a XEP-0203 <delay/>. Without <history/>: the last kHistorySent.
//
// Pure functions: no I/O, no threads.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "callbridge/space_store.h"
#include "xml/element.h"

namespace convene::callbridge {

inline constexpr int kHistoryKept = 50;
inline constexpr int kHistorySent = 20;

struct HistoryRequest {
  std::optional<int> max_stanzas;
  std::optional<int> max_chars;
  std::optional<int> seconds;
  std::optional<int64_t> since_ms;
};

// From the join's <x xmlns='http://jabber.org/protocol/muc'/> (nullptr: none); bad values are ignored.
HistoryRequest parse_history_request(const xml::Element* muc_x);

// The messages to send `to`, oldest first, addressed and stamped.
std::vector<std::string> history_to_send(const std::vector<HistoryEntry>& kept, const HistoryRequest& request,
                                         int64_t now_ms, const std::string& room_jid, const std::string& to);

// XEP-0082 date-time, UTC, with milliseconds: 2026-12-06T23:00:00.000Z
std::string xep0082_stamp(int64_t unix_ms);
std::optional<int64_t> parse_xep0082(const std::string& text);

}  // namespace convene::callbridge
