#pragma once
// The stanzas recently sent to a call bridge that it has not answered yet, so that
// they can go to its next holder when its connection ends.
//
// Why: XEP-0114 has no acknowledgements. A bridge killed (or a standby made to
// yield) takes with it what sat in its socket or its queue: stanzas this server
// had acknowledged to their senders (XEP-0198), lost without an error. The bridge
// answers what it handles with the stanza's id (a group message is reflected to
// the occupants with its id; errors and iq results keep it), and it handles its
// stanzas one after the other, in the order they were sent. So an answer takes
// off its stanza and every one sent before it (handled, answered or not); what is
// left when the connection ends is routed again: at least once, a stanza handled
// without an answer after the last answered one may reach the next holder twice.
// No time limit: a bridge that waited for its database, or held a new
// connection's stanzas until it knew its occupants, may not have read stanzas
// sent seconds ago; dropping those from the list after 2 s lost them when the
// connection then ended (a standby yielding when the partition healed).
// An id that several kept stanzas share only takes those off (its answer could be
// any of theirs). Presence is not kept: it is state, and a join replayed after its
// leave would make phantom occupants (the next holder reads the occupants back
// from the service). Nor are answers to the bridge (iq results and errors, bounced
// messages): nothing answers them, and they would follow every holder around. Bounded: kMaxEntries and kMaxTotalBytes (the oldest go first,
// logged by the caller), each at most kMaxBytes (larger ones are not kept).
//
// Stanzas another cluster member forwarded (sent_for): this node may not route
// them again itself, as it does its own users' (a member speaks only for its own
// users: the next holder's node would refuse them). So their origin is confirmed
// only when the bridge answered them (answered() says whose), and when the
// connection ends they are handed back (take(): `forwarded`) for the origin to
// send again, to wherever the name is then. Those without an id cannot be matched
// to an answer: kept and confirmed as this node's own are.
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

#include "xmpp/session.h"

namespace convene::xmpp {

class UnansweredStanzas {
 public:
  using Clock = std::chrono::steady_clock;
  static constexpr size_t kMaxEntries = 4096;
  static constexpr size_t kMaxBytes = 64 * 1024;
  static constexpr size_t kMaxTotalBytes = 8 * 1024 * 1024;

  // False when the stanza would be kept but take() already ran (the connection
  // ended after another thread found it): nothing will route it again, so the
  // caller must. Under the same mutex as take(), so each stanza is either taken or
  // refused here, never neither.
  [[nodiscard]] bool sent(std::string_view bytes, Clock::time_point now);
  // A stanza forwarded by another member (above). `evicted`: forwarded stanzas the
  // bounds pushed out, by this send or an earlier one (their origins must not wait
  // for an answer that nobody will report).
  struct Forwarded {
    ComponentLink::Forwarded outcome;
    std::vector<ForwardedFrom> evicted;
  };
  [[nodiscard]] Forwarded sent_for(std::string_view bytes, Clock::time_point now, const ForwardedFrom& from);
  // Takes off the stanza with this id and those before it; says which of them
  // other members forwarded and wait for this answer.
  std::vector<ForwardedFrom> answered(std::string_view id);
  struct Taken {
    std::vector<std::string> again;        // this node's own (and those without an id), oldest first
    std::vector<ForwardedFrom> forwarded;  // for their origins to send again (evicted ones included)
  };
  // Takes the unanswered stanzas; later sends are refused (above).
  Taken take(Clock::time_point now);
  // Stanzas pushed out by the bounds so far (for the caller's log).
  size_t evicted() const;

 private:
  struct Entry {
    std::string id;
    std::string bytes;
    std::optional<ForwardedFrom> from;  // awaits an answer for its origin
  };
  // Whether `bytes` is kept at all (not presence, not an answer, not too large).
  static bool worth_keeping(std::string_view bytes);
  void keep(Entry entry);  // under mu_

  mutable std::mutex mu_;
  std::deque<Entry> entries_;
  std::vector<ForwardedFrom> evicted_from_;  // until the next sent_for or take
  size_t bytes_ = 0, evicted_ = 0;
  bool taken_ = false;
};

// The value of attribute `name` of a stanza's opening tag ("" when it has none).
std::string stanza_attribute(std::string_view bytes, std::string_view name);
// Its id attribute.
std::string stanza_id(std::string_view bytes);

}  // namespace convene::xmpp
