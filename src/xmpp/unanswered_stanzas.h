#pragma once
// The stanzas recently sent to a call bridge that it has not answered yet, so that
// they can go to its next holder when its connection ends.
//
// Why: XEP-0114 has no acknowledgements. A bridge killed (or a standby made to
// yield) takes with it what sat in its socket or its queue: stanzas this server
// had acknowledged to their senders (XEP-0198), lost without an error. The bridge
// answers what it handles with the stanza's id (a group message is reflected to
// the occupants with its id; errors and iq results keep it), so a stanza is taken
// as handled when anything with its id comes back. What was sent in the last
// kWindow and not answered is routed again when the connection ends: at least
// once, a stanza handled without an answer may reach the next holder twice.
// Presence is not kept: it is state, and a join replayed after its leave would make
// phantom occupants (the next holder reads the occupants back from the service).
// Bounded: kMaxEntries, each at most kMaxBytes (larger ones are not kept).
//
// Threads: every method from any thread (a mutex of its own, a leaf).
#include <chrono>
#include <cstddef>
#include <deque>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace convene::xmpp {

class UnansweredStanzas {
 public:
  using Clock = std::chrono::steady_clock;
  // A live bridge answers within milliseconds; two seconds covers a busy one.
  static constexpr auto kWindow = std::chrono::milliseconds(2000);
  static constexpr size_t kMaxEntries = 512;
  static constexpr size_t kMaxBytes = 64 * 1024;

  // False when the stanza would be kept but take() already ran (the connection
  // ended after another thread found it): nothing will route it again, so the
  // caller must. Under the same mutex as take(), so each stanza is either taken or
  // refused here, never neither.
  [[nodiscard]] bool sent(std::string_view bytes, Clock::time_point now);
  void answered(std::string_view id);
  // Takes the unanswered stanzas sent within kWindow before `now`, oldest first;
  // later sends are refused (above).
  std::vector<std::string> take(Clock::time_point now);

 private:
  struct Entry {
    std::string id;
    std::string bytes;
    Clock::time_point at;
  };
  std::mutex mu_;
  std::deque<Entry> entries_;
  bool taken_ = false;
};

// The id attribute of a stanza's opening tag ("" when it has none).
std::string stanza_id(std::string_view bytes);

}  // namespace convene::xmpp
