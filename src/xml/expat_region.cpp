#include "xml/expat_region.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>

namespace convene::xml {

namespace {
thread_local ExpatRegion* current = nullptr;

// Every allocation is preceded by this header (16 bytes keeps the alignment malloc
// gives), so free() and realloc() know its size and where it came from.
struct alignas(16) Header {
  size_t size;
  size_t from_malloc;  // 1: plain malloc(), free it there
};
constexpr size_t kAlign = alignof(Header);
size_t round_up(size_t n) { return (n + kAlign - 1) / kAlign * kAlign; }
Header* header_of(void* p) { return static_cast<Header*>(p) - 1; }

void* from_malloc(size_t n) {
  auto* h = static_cast<Header*>(std::malloc(sizeof(Header) + n));
  if (!h) return nullptr;
  h->size = n;
  h->from_malloc = 1;
  return h + 1;
}
}  // namespace

ExpatRegion::~ExpatRegion() { release(); }

ExpatRegion::Use::Use(ExpatRegion& region) : previous_(current) { current = &region; }
ExpatRegion::Use::~Use() { current = previous_; }

void ExpatRegion::release() {
  for (Block& b : blocks_) std::free(b.data);
  blocks_.clear();
  blocks_.shrink_to_fit();
  reserved_ = 0;
}

void* ExpatRegion::allocate(size_t n) {
  size_t need = sizeof(Header) + round_up(n);
  if (blocks_.empty() || blocks_.back().size - blocks_.back().used < need) {
    size_t size = std::max(blocks_.empty() ? kFirstBlock : blocks_.back().size, need);
    if (reserved_ + size > kCap) return from_malloc(n);
    char* data = static_cast<char*>(std::malloc(size));
    if (!data) return nullptr;
    blocks_.push_back({data, size, 0});
    reserved_ += size;
  }
  Block& b = blocks_.back();
  auto* h = reinterpret_cast<Header*>(b.data + b.used);
  b.used += need;
  h->size = n;
  h->from_malloc = 0;
  return h + 1;
}

void ExpatRegion::deallocate(void* p) {
  Header* h = header_of(p);
  if (blocks_.empty()) return;
  Block& b = blocks_.back();
  // The most recent allocation: roll back (expat often frees what it just made).
  if (reinterpret_cast<char*>(h) + sizeof(Header) + round_up(h->size) == b.data + b.used)
    b.used = size_t(reinterpret_cast<char*>(h) - b.data);
}

void* ExpatRegion::reallocate(void* p, size_t n) {
  Header* h = header_of(p);
  if (blocks_.empty()) return nullptr;  // not ours: cannot happen (suite_realloc checks)
  Block& b = blocks_.back();
  char* end = reinterpret_cast<char*>(h) + sizeof(Header) + round_up(h->size);
  if (end == b.data + b.used &&
      size_t(reinterpret_cast<char*>(h) - b.data) + sizeof(Header) + round_up(n) <= b.size) {
    b.used = size_t(reinterpret_cast<char*>(h) - b.data) + sizeof(Header) + round_up(n);
    h->size = n;
    return p;
  }
  void* q = allocate(n);
  if (!q) return nullptr;
  std::memcpy(q, p, std::min(n, h->size));
  deallocate(p);
  return q;
}

void* ExpatRegion::suite_malloc(size_t n) { return current ? current->allocate(n) : from_malloc(n); }

void* ExpatRegion::suite_realloc(void* p, size_t n) {
  if (!p) return suite_malloc(n);
  Header* h = header_of(p);
  if (h->from_malloc || !current) {
    if (!h->from_malloc) {  // a region's memory outside its Use: copy out, never touch the region
      void* q = from_malloc(n);
      if (q) std::memcpy(q, p, std::min(n, h->size));
      return q;
    }
    auto* g = static_cast<Header*>(std::realloc(h, sizeof(Header) + n));
    if (!g) return nullptr;
    g->size = n;
    return g + 1;
  }
  return current->reallocate(p, n);
}

void ExpatRegion::suite_free(void* p) {
  if (!p) return;
  Header* h = header_of(p);
  if (h->from_malloc) {
    std::free(h);
    return;
  }
  if (current) current->deallocate(p);
}

const XML_Memory_Handling_Suite* ExpatRegion::suite() {
  static const XML_Memory_Handling_Suite s{&suite_malloc, &suite_realloc, &suite_free};
  return &s;
}

}  // namespace convene::xml
