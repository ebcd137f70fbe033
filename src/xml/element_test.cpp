#include "xml/element.h"

#include <gtest/gtest.h>

#include "xml/serializer.h"

namespace convene::xml {
namespace {

TEST(Element, BuildAndQuery) {
  Document doc;
  Element& iq = doc.create_element("iq", "jabber:client");
  iq.set_attr("type", "get").set_attr("id", "1");
  Element& query = iq.add_child("query", "jabber:iq:roster");
  query.add_child("item").set_attr("jid", "romeo@example.net");
  iq.add_text("tail");

  EXPECT_EQ(iq.attr("type"), "get");
  EXPECT_EQ(iq.attr("missing"), "");
  EXPECT_EQ(iq.find_child("query"), nullptr);  // not in jabber:client
  EXPECT_EQ(iq.find_child("query", "jabber:iq:roster"), &query);
  EXPECT_EQ(iq.find_child_ns("jabber:iq:roster"), &query);
  EXPECT_EQ(iq.first_child_element(), &query);
  EXPECT_EQ(query.find_child("item")->attr("jid"), "romeo@example.net");
  EXPECT_EQ(iq.text(), "tail");
  int n = 0;
  for (Element& child : iq.children()) {
    EXPECT_EQ(child.name(), "query");
    ++n;
  }
  EXPECT_EQ(n, 1);

  iq.set_attr("type", "result");
  EXPECT_EQ(iq.attr("type"), "result");
  EXPECT_EQ(iq.attr_count(), 2u);
  EXPECT_TRUE(iq.remove_attr("id"));
  EXPECT_FALSE(iq.remove_attr("id"));
  iq.remove_child(query);
  EXPECT_EQ(iq.find_child_ns("jabber:iq:roster"), nullptr);
  EXPECT_EQ(to_string(iq, {"jabber:client", true}), "<iq type='result'>tail</iq>");
}

TEST(Element, CloneIsIndependentOfTheSource) {
  Document other;
  std::string kept;
  {
    Document doc;
    Element& m = doc.create_element("message", "jabber:client");
    m.set_attr("to", "a@b");
    for (int i = 0; i < 20; ++i) m.add_child("x", "urn:x").set_attr("n", std::to_string(i));
    Element& copy = other.clone(m);
    kept = to_string(m);
    doc.clear();
    doc.create_element("overwrite", "zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz");
    EXPECT_EQ(to_string(copy), kept);
  }
}

TEST(Arena, ReusesBlocksAfterReset) {
  Arena arena(1024);
  for (int round = 0; round < 100; ++round) {
    for (int i = 0; i < 200; ++i) arena.copy("0123456789abcdef");
    arena.reset();
  }
  size_t steady = arena.capacity();
  for (int round = 0; round < 100; ++round) {
    for (int i = 0; i < 200; ++i) arena.copy("0123456789abcdef");
    arena.reset();
  }
  EXPECT_EQ(arena.capacity(), steady);
  // A huge allocation is not kept beyond the cap.
  arena.allocate(1 << 20);
  arena.reset(64 * 1024);
  EXPECT_LE(arena.capacity(), 64u * 1024);
  arena.release();
  EXPECT_EQ(arena.capacity(), 0u);
  EXPECT_EQ(arena.copy("after release"), "after release");
}

}  // namespace
}  // namespace convene::xml
