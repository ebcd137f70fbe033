#include "xml/expat_region.h"

#include <gtest/gtest.h>

#include <cstring>
#include <string>

namespace convene::xml {
namespace {

struct Allocations {
  const XML_Memory_Handling_Suite* s = ExpatRegion::suite();
};

TEST(ExpatRegion, FreeOfTheLatestAllocationRollsBackAndReallocGrowsInPlace) {
  ExpatRegion region;
  Allocations a;
  ExpatRegion::Use use(region);
  void* p = a.s->malloc_fcn(100);
  void* q = a.s->malloc_fcn(100);
  a.s->free_fcn(q);
  EXPECT_EQ(a.s->malloc_fcn(100), q);  // rolled back: the same place again
  std::memset(q, 'x', 100);
  void* r = a.s->realloc_fcn(q, 300);
  EXPECT_EQ(r, q);  // the latest allocation grows where it is
  EXPECT_EQ(static_cast<char*>(r)[99], 'x');
  void* moved = a.s->realloc_fcn(p, 200);  // not the latest: copied
  EXPECT_NE(moved, p);
  EXPECT_EQ(region.reserved(), ExpatRegion::kFirstBlock);
}

TEST(ExpatRegion, PastTheCapAndOutsideAUseItIsPlainMalloc) {
  ExpatRegion region;
  Allocations a;
  {
    ExpatRegion::Use use(region);
    void* big = a.s->malloc_fcn(ExpatRegion::kCap);  // would exceed the cap: malloc
    EXPECT_EQ(region.reserved(), 0u);
    big = a.s->realloc_fcn(big, 2 * ExpatRegion::kCap);
    ASSERT_NE(big, nullptr);
    a.s->free_fcn(big);
  }
  void* outside = a.s->malloc_fcn(64);
  ASSERT_NE(outside, nullptr);
  a.s->free_fcn(outside);
  EXPECT_EQ(region.reserved(), 0u);
}

TEST(ExpatRegion, ASteadyStreamDoesNotGrowTheRegion) {
  ExpatRegion region;
  static constexpr XML_Char sep[] = {'\x01', 0};
  XML_Parser parser;
  {
    ExpatRegion::Use use(region);
    parser = XML_ParserCreate_MM("UTF-8", ExpatRegion::suite(), sep);
  }
  ASSERT_NE(parser, nullptr);
  auto feed = [&](const std::string& s) {
    ExpatRegion::Use use(region);
    return XML_Parse(parser, s.data(), int(s.size()), XML_FALSE);
  };
  ASSERT_EQ(feed("<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'>"),
            XML_STATUS_OK);
  std::string stanza = "<message to='a@b' id='1' xmlns:x='urn:x'><body>hi</body><x:y a='b'/></message>";
  for (int i = 0; i < 10; ++i) ASSERT_EQ(feed(stanza), XML_STATUS_OK);
  size_t warm = region.reserved();
  for (int i = 0; i < 10000; ++i) ASSERT_EQ(feed(stanza), XML_STATUS_OK);
  EXPECT_EQ(region.reserved(), warm);
  EXPECT_LE(warm, 2 * ExpatRegion::kFirstBlock);
  ExpatRegion::Use use(region);
  XML_ParserFree(parser);
}

}  // namespace
}  // namespace convene::xml
