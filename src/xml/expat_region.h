#pragma once
// Where one expat parser's memory lives: a few large blocks instead of expat's
// dozen small malloc()s.
//
// Why: an idle connection frees its parser (stream_parser.h, release_memory).
// Expat's own allocations are small chunks scattered between the connection's
// long-lived objects, so freeing them left holes no page of which was wholly free:
// RSS stayed put (measured: 9.4 KiB per idle connection after 5,000 logins in one
// second, of which 2.6 KiB were live). A region makes the freed memory one
// contiguous run that malloc_trim() can hand back.
//
// How: expat's memory suite has no user pointer, so the region in use is a
// thread-local set by a Use guard around every expat call that may allocate
// (create, parse, reset, free). Allocation bumps; free() of the most recent
// allocation rolls back, any other is ignored (expat reuses its buffers in steady
// state, so little is lost); realloc() grows in place when it can. Past kCap
// bytes, or with no region in use, allocations fall through to malloc(): a client
// that makes expat's buffers grow costs what it did before, not more.
#include <expat.h>

#include <cstddef>
#include <vector>

namespace convene::xml {

class ExpatRegion {
 public:
  static constexpr size_t kFirstBlock = 12 * 1024;
  static constexpr size_t kCap = 64 * 1024;

  ExpatRegion() = default;
  ~ExpatRegion();
  ExpatRegion(const ExpatRegion&) = delete;
  ExpatRegion& operator=(const ExpatRegion&) = delete;

  // The suite to pass to XML_ParserCreate_MM; it allocates from the region in use.
  static const XML_Memory_Handling_Suite* suite();

  // Makes this region the one in use on this thread for the guard's lifetime.
  class Use {
   public:
    explicit Use(ExpatRegion& region);
    ~Use();
    Use(const Use&) = delete;
    Use& operator=(const Use&) = delete;

   private:
    ExpatRegion* previous_;
  };

  // Gives every block back; only once the parser using it is freed.
  void release();
  size_t reserved() const { return reserved_; }  // bytes in blocks (tests)

 private:
  struct Block {
    char* data;
    size_t size, used;
  };
  void* allocate(size_t n);
  void deallocate(void* p);
  void* reallocate(void* p, size_t n);
  static void* suite_malloc(size_t n);
  static void* suite_realloc(void* p, size_t n);
  static void suite_free(void* p);

  std::vector<Block> blocks_;
  size_t reserved_ = 0;
};

}  // namespace convene::xml
