#pragma once
// Gives freed heap pages back to the kernel after idle connections released their
// buffers (connection.h, kReleaseIdleAfter).
//
// Why: glibc keeps freed chunks resident unless they sit at the top of the heap,
// so the parsers and documents idle connections free would still count in RSS, and
// would be reused only by later allocations. malloc_trim(0) returns every whole
// free page in every arena (madvise), which is what an operator reading RSS expects.
// It walks the free lists, so it runs at most once per period and only after some
// connection released memory (the flag in Server), on one of the service's loops.
#include <asio.hpp>

#include <atomic>
#include <chrono>

namespace convene::xmpp {

class HeapTrimmer {
 public:
  HeapTrimmer(asio::io_context& io, std::atomic<bool>& released,
              std::chrono::milliseconds period = std::chrono::seconds(1));
  HeapTrimmer(const HeapTrimmer&) = delete;
  HeapTrimmer& operator=(const HeapTrimmer&) = delete;

  void start();

 private:
  void tick();

  asio::steady_timer timer_;
  std::atomic<bool>& released_;
  std::chrono::milliseconds period_;
};

}  // namespace convene::xmpp
