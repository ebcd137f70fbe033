#include "xml/simple_stanza.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "xml/stream_parser.h"

namespace convene::xml {
namespace {

constexpr SimpleStanzaLimits kLimits{4096, 8};

// Every node and attribute as it is: adjacent text nodes stay apart, so two trees
// that serialize alike but are built differently still differ here.
std::string dump(const Element& e) {
  std::string out = "<" + std::string(e.prefix()) + "|" + std::string(e.name()) + "|" + std::string(e.ns());
  for (auto* a = e.attrs_begin(); a != e.attrs_end(); ++a)
    out += " " + std::string(a->prefix) + "|" + std::string(a->name) + "|" + std::string(a->ns) + "=[" +
           std::string(a->value) + "]";
  out += ">";
  for (Node* n = e.first_child(); n; n = n->next_sibling())
    out += n->is_element() ? dump(*n->as_element()) : "{" + std::string(n->text_value()) + "}";
  return out + "</>";
}

std::string read(std::string_view in, size_t* length = nullptr) {
  Document doc;
  size_t n = read_simple_stanza(in, "jabber:client", kLimits, doc);
  if (length) *length = n;
  return n ? dump(*doc.root()) : "";
}

TEST(SimpleStanza, ReadsAMessageWithItsAttributesTextAndChildren) {
  size_t n = 0;
  auto tree = read("<message to='b@x' from=\"a@x/r\" type='chat' id='m1' xml:lang='en'>"
                   "<body>hi &amp; &lt;bye&gt; &quot;&apos; \xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80</body>"
                   "<active xmlns='http://jabber.org/protocol/chatstates'/></message><presence/>",
                   &n);
  EXPECT_EQ(n, std::string_view("<message to='b@x' from=\"a@x/r\" type='chat' id='m1' xml:lang='en'>"
                                "<body>hi &amp; &lt;bye&gt; &quot;&apos; \xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80</body>"
                                "<active xmlns='http://jabber.org/protocol/chatstates'/></message>")
                   .size());
  EXPECT_EQ(tree,
            "<|message|jabber:client |to|=[b@x] |from|=[a@x/r] |type|=[chat] |id|=[m1] "
            "xml|lang|http://www.w3.org/XML/1998/namespace=[en]>"
            "<|body|jabber:client>{hi & <bye> \"' \xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80}</>"
            "<|active|http://jabber.org/protocol/chatstates></></>");
}

TEST(SimpleStanza, KeepsWhiteSpaceAndMixedContentAsExpatReportsIt) {
  EXPECT_EQ(read("<iq type = 'get' id='1' >\n <query xmlns='jabber:iq:roster'\t/>\n</iq >"),
            "<|iq|jabber:client |type|=[get] |id|=[1]>{\n }<|query|jabber:iq:roster></>{\n}</>");
  EXPECT_EQ(read("<message><body>a<b>c</b>d</body></message>"),
            "<|message|jabber:client><|body|jabber:client>{a}<|b|jabber:client>{c}</>{d}</></>");
}

// Each of these is XML the reader leaves to expat: well-formed or not, it is
// outside the subset, cut off, or beyond the limits.
TEST(SimpleStanza, LeavesEverythingOutsideTheSubsetToExpat) {
  const std::vector<std::string> refused = {
      "<message><body>a</body>",                                  // cut off
      "<message><body>a</body></message",                         // cut off in the end tag
      "<message><body>a]]>b</body></message>",                    // not well-formed
      "<message><body><![CDATA[x]]></body></message>",            // CDATA
      "<message><!-- c --></message>",                            // comment
      "<message><?pi x?></message>",                              // processing instruction
      "<message><body>&#65;</body></message>",                    // character reference
      "<message><body>&nbsp;</body></message>",                   // undeclared entity
      "<message><body>a\rb</body></message>",                     // carriage return (normalised)
      "<message a='x\ty'/>",                                      // tab in a value (normalised)
      "<message a='x\ny'/>",                                      // newline in a value
      "<message a='x<y'/>",                                       // '<' in a value
      "<message a='1' a='2'/>",                                   // duplicate
      "<message xml:lang='en' xml:lang='de'/>",                   // duplicate
      "<message a='1'b='2'/>",                                    // no space between attributes
      "<message a=1/>",                                           // unquoted
      "<message xmlns=''/>",                                      // undeclared default namespace
      "<message xmlns='a' xmlns='b'/>",                           // declared twice
      "<message xmlns='http://www.w3.org/XML/1998/namespace'/>",  // reserved
      "<message xmlns:foo='urn:x'/>",                             // a prefix
      "<foo:message/>",                                           // a prefix
      "<message foo:a='1'/>",                                     // a prefix
      "<message xml:space='preserve'/>",                          // xml: but not lang
      "<message><body>a</bodyx></message>",                       // mismatched end tag
      "<message><body>a</body ></messag>",                        // mismatched end tag
      "<1message/>",                                              // not a name
      "<m\xC3\xA9ssage/>",                                        // a name beyond ASCII
      "<message><body>\x01</body></message>",                     // control character
      "<message><body>\xC3</body></message>",                     // cut UTF-8
      "<message><body>\xC0\xAF</body></message>",                 // overlong
      "<message><body>\xED\xA0\x80</body></message>",             // surrogate
      "<message><body>\xEF\xBF\xBF</body></message>",             // U+FFFF
      "<message><body>\xF4\x90\x80\x80</body></message>",         // beyond U+10FFFF
      "<message><body>\xFF</body></message>",                     // not UTF-8
      "<a><a><a><a><a><a><a><a><a/></a></a></a></a></a></a></a></a>",  // nine deep, limit eight
      "<message><body>" + std::string(5000, 'x') + "</body></message>",  // past the size limit
  };
  for (auto& in : refused) {
    size_t n = 1;
    read(in, &n);
    EXPECT_EQ(n, 0u) << in;
  }
  size_t n = 0;
  read("<message><body>a]]</body>]</message>", &n);
  EXPECT_GT(n, 0u) << "']' is text unless it ends \"]]>\"";
}

TEST(SimpleStanza, TakesTheDeepestAndLargestStanzaTheLimitsAllow) {
  size_t n = 0;
  read("<a><a><a><a><a><a><a><a/></a></a></a></a></a></a></a>", &n);
  EXPECT_GT(n, 0u);
  std::string big = "<message><body>" + std::string(4096 - 32, 'x') + "</body></message>";
  ASSERT_EQ(big.size(), 4096u);
  read(big, &n);
  EXPECT_EQ(n, 4096u);
}

// ---- the stream parser with and without the simple reader ------------------------

struct Events : StreamHandler {
  std::vector<std::string> seen;
  void on_stream_open(const StreamHeader& h) override { seen.push_back("open " + h.content_ns); }
  void on_stanza(Element& stanza, std::string_view raw) override {
    seen.push_back(dump(stanza) + " raw=" + std::string(raw));
  }
  void on_stream_close() override { seen.push_back("close"); }
};

std::vector<std::string> parse(std::string_view input, size_t chunk, bool simple) {
  Events events;
  ParserOptions options;
  options.max_stanza_bytes = 4096;
  options.simple_stanzas = simple;
  StreamParser parser(events, options);
  for (size_t at = 0; at < input.size(); at += chunk)
    if (auto error = parser.feed(input.substr(at, chunk))) {
      events.seen.push_back("error " + std::string(condition_name(error->condition)) + ": " + error->text);
      break;
    }
  return events.seen;
}

constexpr std::string_view kHeader =
    "<?xml version='1.0'?><stream:stream xmlns='jabber:client' "
    "xmlns:stream='http://etherx.jabber.org/streams' to='example.com' version='1.0'>";

TEST(SimpleStanza, TheStreamParserReportsTheSameWithOrWithoutIt) {
  const std::vector<std::string> bodies = {
      "<message to='b@x' id='1'><body>one &amp; two</body></message> \n<presence/>"
      "<iq type='get' id='2'><query xmlns='jabber:iq:roster'/></iq></stream:stream>",
      "<message><body><![CDATA[<x>]]></body></message><message><body>b</body></message>",
      "<message><body>&#65;</body></message>  <message xml:lang='de'><body>c</body></message>",
      "<message><body>a]]>b</body></message><message/>",
      "<message a='1' a='2'/>",
      "<message><body>x</body></message>text between stanzas",
      "<message><body>x</body></message><!-- a comment -->",
      "<message><body>" + std::string(5000, 'y') + "</body></message>",
      "<message><body>\xEF\xBF\xBF</body></message>",
  };
  for (auto& body : bodies) {
    std::string input = std::string(kHeader) + body;
    for (size_t chunk : {size_t(1), size_t(7), size_t(64), input.size()}) {
      auto expat = parse(input, chunk, false);
      auto simple = parse(input, chunk, true);
      EXPECT_EQ(simple, expat) << "chunk " << chunk << ": " << body;
    }
  }
}

// After a restart asked for inside a handler, what followed in the same read is
// the new stream's, as with expat (a client pipelines its new header).
TEST(SimpleStanza, ARestartAskedByAHandlerTakesEffectAfterItsStanza) {
  struct Restarting : Events {
    StreamParser* parser = nullptr;
    void on_stanza(Element& stanza, std::string_view raw) override {
      Events::on_stanza(stanza, raw);
      if (stanza.name() == "auth") parser->restart();
    }
  };
  for (bool simple : {false, true}) {
    Restarting events;
    ParserOptions options;
    options.simple_stanzas = simple;
    StreamParser parser(events, options);
    events.parser = &parser;
    ASSERT_FALSE(parser.feed(kHeader));
    ASSERT_FALSE(parser.feed(std::string("<auth/>") + std::string(kHeader) + "<message/>"));
    ASSERT_EQ(events.seen.size(), 4u) << simple;
    EXPECT_EQ(events.seen[2], "open jabber:client");
    EXPECT_EQ(events.seen[3], "<|message|jabber:client></> raw=<message/>");
  }
}

}  // namespace
}  // namespace convene::xml
