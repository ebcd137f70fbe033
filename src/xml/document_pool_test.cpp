#include "xml/document_pool.h"

#include <gtest/gtest.h>

#include <thread>

#include "xml/stream_parser.h"

namespace convene::xml {
namespace {

TEST(DocumentPool, SparesAreReusedEmptiedAndCapped) {
  std::thread([] {  // a fresh thread: a pool of its own
    auto a = DocumentPool::take();
    Document* first = a.get();
    a->create_element("message", "jabber:client");
    DocumentPool::give(std::move(a));
    EXPECT_EQ(DocumentPool::spares(), 1u);
    auto b = DocumentPool::take();
    EXPECT_EQ(b.get(), first);
    EXPECT_EQ(b->root(), nullptr);
    std::vector<std::unique_ptr<Document>> many;
    for (size_t i = 0; i < DocumentPool::kSparesPerThread + 3; ++i) many.push_back(DocumentPool::take());
    for (auto& d : many) DocumentPool::give(std::move(d));
    EXPECT_EQ(DocumentPool::spares(), DocumentPool::kSparesPerThread);
  }).join();
}

struct Keep : StreamHandler {
  std::vector<std::string> names;
  void on_stream_open(const StreamHeader&) override {}
  void on_stanza(Element& stanza, std::string_view) override { names.emplace_back(stanza.name()); }
  void on_stream_close() override {}
};

// Between stanzas a parser holds no Document: all its connections share the thread's.
TEST(DocumentPool, AParserHoldsADocumentOnlyWhileAStanzaIsOpen) {
  std::thread([] {
    Keep a, b;
    StreamParser pa(a), pb(b);
    std::string header = "<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'>";
    ASSERT_FALSE(pa.feed(header));
    ASSERT_FALSE(pb.feed(header));
    ASSERT_FALSE(pa.feed("<message><body>half"));  // a's stanza stays open across reads
    ASSERT_FALSE(pb.feed("<iq/><presence/>"));      // b parses whole stanzas meanwhile
    ASSERT_FALSE(pa.feed(" done</body></message>"));
    EXPECT_EQ(a.names, (std::vector<std::string>{"message"}));
    EXPECT_EQ(b.names, (std::vector<std::string>{"iq", "presence"}));
    EXPECT_EQ(DocumentPool::spares(), 2u);  // one for each stanza that was open at once, both back
  }).join();
}

}  // namespace
}  // namespace convene::xml
