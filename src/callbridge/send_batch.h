#pragma once
// What the call bridge sends while it handles one stanza, gathered into one write.
//
// A group message to a space of N occupants is N stanzas to the server; written one
// by one they were N send() calls (N TLS records over TLS), most of the bridge's
// time in a large space. Gathered, they leave in one write when the handling ends
// (flush), or earlier once kFlushAt bytes wait, so memory stays bounded whatever
// the space's size. Order is kept: bytes leave in the order they were added. An
// empty stanza asks for what is pending to leave now (Spaces::Send's contract: a
// space does so before a slow store write, so its occupants are not kept waiting).
//
// Not thread-safe: the bridge's connection loop owns it.
#include <cstddef>
#include <functional>
#include <string>
#include <string_view>

namespace convene::callbridge {

class SendBatch {
 public:
  static constexpr size_t kFlushAt = 256 * 1024;

  explicit SendBatch(std::function<void(std::string_view)> write) : write_(std::move(write)) {}

  void add(std::string_view stanza) {
    if (stanza.empty()) return flush();
    pending_.append(stanza);
    if (pending_.size() >= kFlushAt) flush();
  }

  // Writes what is pending, if anything.
  void flush() {
    if (pending_.empty()) return;
    write_(pending_);
    pending_.clear();
    if (pending_.capacity() > 2 * kFlushAt) std::string().swap(pending_);
  }

  size_t pending() const { return pending_.size(); }

 private:
  std::function<void(std::string_view)> write_;
  std::string pending_;
};

}  // namespace convene::callbridge
