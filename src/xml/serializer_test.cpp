#include "xml/serializer.h"

#include <gtest/gtest.h>

#include "xml/stream_parser.h"

namespace convene::xml {
namespace {

constexpr WriteContext kClient{"jabber:client", true};

// Parse one stanza inside a jabber:client stream and hand it to `check`.
struct OneStanza : StreamHandler {
  std::function<void(Element&, std::string_view)> check;
  int seen = 0;
  void on_stream_open(const StreamHeader&) override {}
  void on_stanza(Element& e, std::string_view raw) override {
    ++seen;
    check(e, raw);
  }
  void on_stream_close() override {}
};

void parse_stanza(std::string_view stanza, std::function<void(Element&, std::string_view)> check) {
  OneStanza h;
  h.check = std::move(check);
  StreamParser parser(h);
  std::string input;
  write_stream_open({"jabber:client", "example.com", {}, {}, "1.0", {}}, input);
  input += stanza;
  auto err = parser.feed(input);
  ASSERT_FALSE(err) << err->text << " in " << input;
  ASSERT_EQ(h.seen, 1) << input;
}

TEST(Serializer, EscapesTextAndAttributes) {
  std::string out;
  escape_text("a<b>&c\r\"'", out);
  EXPECT_EQ(out, "a&lt;b&gt;&amp;c&#13;\"'");
  out.clear();
  escape_attr("a<'\"&>\t\n", out);
  EXPECT_EQ(out, "a&lt;&apos;&quot;&amp;&gt;&#9;&#10;");
}

// Every byte value, alone and inside plain runs: escaped exactly when it is one of
// the characters the table marks, and the runs around it copied whole.
TEST(Serializer, EscapesEveryByteValue) {
  auto attr_of = [](unsigned char c) -> std::string {
    switch (c) {
      case '&': return "&amp;"; case '<': return "&lt;"; case '>': return "&gt;"; case '\'': return "&apos;";
      case '"': return "&quot;"; case '\t': return "&#9;"; case '\n': return "&#10;"; case '\r': return "&#13;";
      default: return std::string(1, char(c));
    }
  };
  auto text_of = [](unsigned char c) -> std::string {
    switch (c) {
      case '&': return "&amp;"; case '<': return "&lt;"; case '>': return "&gt;"; case '\r': return "&#13;";
      default: return std::string(1, char(c));
    }
  };
  for (int b = 0; b < 256; ++b) {
    const char c = char(b);
    const std::string in = std::string("ab") + c + "cd" + c + c;
    std::string text, attr;
    escape_text(in, text);
    escape_attr(in, attr);
    EXPECT_EQ(text, "ab" + text_of(c) + "cd" + text_of(c) + text_of(c)) << b;
    EXPECT_EQ(attr, "ab" + attr_of(c) + "cd" + attr_of(c) + attr_of(c)) << b;
  }
}

TEST(Serializer, EscapingRoundTrips) {
  const std::string nasty = "<tag> & 'single' \"double\" ]]> \t tab\nline\r\ncrlf caf\xc3\xa9";
  Document doc;
  Element& m = doc.create_element("message", "jabber:client");
  m.set_attr("id", nasty);
  m.add_child("body").add_text(nasty);
  std::string text = to_string(m, kClient);
  parse_stanza(text, [&](Element& e, std::string_view raw) {
    EXPECT_EQ(e.attr("id"), nasty);
    EXPECT_EQ(e.find_child("body")->text(), nasty);
    EXPECT_EQ(raw, text);
    EXPECT_EQ(to_string(e, kClient), text);  // stable
  });
}

TEST(Serializer, DerivesNamespaceDeclarations) {
  Document doc;
  Element& iq = doc.create_element("iq", "jabber:client");
  iq.set_attr("type", "result");
  Element& q = iq.add_child("query", "jabber:iq:roster");
  q.add_child("item").set_attr("jid", "a@b");
  Element& s = iq.add_child("features", std::string(kStreamsNs));
  (void)s;
  EXPECT_EQ(to_string(iq, kClient),
            "<iq type='result'><query xmlns='jabber:iq:roster'><item jid='a@b'/></query>"
            "<features xmlns='http://etherx.jabber.org/streams'/></iq>");
  // Outside any stream the root declares its own namespace.
  EXPECT_EQ(to_string(iq).substr(0, 32), "<iq xmlns='jabber:client' type='");
  // Prefixed element and xml:lang.
  Element& f = doc.create_element("features", std::string(kStreamsNs), "stream");
  f.set_attr(Attribute{"lang", std::string(kXmlNs), "xml", "en"});
  EXPECT_EQ(to_string(f, kClient), "<stream:features xml:lang='en'/>");
  EXPECT_EQ(to_string(f, {"jabber:client", false}),
            "<stream:features xmlns:stream='http://etherx.jabber.org/streams' xml:lang='en'/>");
  // An element in no namespace under a default namespace must undeclare it.
  Element& bare = doc.create_element("x", "");
  EXPECT_EQ(to_string(bare, kClient), "<x xmlns=''/>");
}

TEST(Serializer, PrefixedAttributesRoundTrip) {
  parse_stanza(
      "<message xmlns:a='urn:a'><a:x a:k='v' xmlns:b='urn:b' b:k='w'><a:y/></a:x></message>",
      [](Element& e, std::string_view) {
        std::string once = to_string(e, kClient);
        EXPECT_EQ(once,
                  "<message><a:x xmlns:a='urn:a' a:k='v' xmlns:b='urn:b' b:k='w'><a:y/></a:x>"
                  "</message>");
        parse_stanza(once, [&](Element& again, std::string_view) {
          EXPECT_EQ(to_string(again, kClient), once);
        });
      });
}

TEST(Serializer, ReaddressRawStanza) {
  std::string out;
  write_readdressed("<message to='a@b' from='evil@x' type='chat'><body/></message>",
                    std::string_view("me@here/r"), std::nullopt, out);
  EXPECT_EQ(out, "<message to='a@b' type='chat' from='me@here/r'><body/></message>");
  out.clear();
  write_readdressed("<presence/>", std::string_view("a@b/c"), std::string_view("d@e"), out);
  EXPECT_EQ(out, "<presence to='d@e' from='a@b/c'/>");
  out.clear();
  write_readdressed("<iq\n type=\"get\"\tto = \"x'y\" id='1'>", std::nullopt,
                    std::string_view("<&'>"), out);
  EXPECT_EQ(out, "<iq\n type=\"get\" id='1' to='&lt;&amp;&apos;&gt;'>");
  out.clear();
  write_readdressed("<message from='a' xml:from='keep'/>", std::string_view("b"), std::nullopt,
                    out);
  EXPECT_EQ(out, "<message xml:from='keep' from='b'/>");
  out.clear();
  write_readdressed("<message to='x'>t</message>", std::nullopt, std::nullopt, out);
  EXPECT_EQ(out, "<message to='x'>t</message>");
}

TEST(Serializer, ReaddressedRawParsesToTheSameStanza) {
  parse_stanza("<message to='a@b' type='chat' id='1'><body>x &amp; y</body></message>",
               [](Element& e, std::string_view raw) {
                 std::string out;
                 write_readdressed(raw, std::string_view("c@d/e"), std::nullopt, out);
                 e.set_attr("from", "c@d/e");
                 std::string expected = to_string(e, kClient);
                 parse_stanza(out, [&](Element& again, std::string_view) {
                   EXPECT_EQ(to_string(again, kClient), expected);
                 });
               });
}

TEST(Serializer, StreamOpen) {
  std::string out;
  write_stream_open({"jabber:client", {}, "example.com", "abc", "1.0", "en"}, out);
  EXPECT_EQ(out,
            "<?xml version='1.0'?><stream:stream xmlns='jabber:client' "
            "xmlns:stream='http://etherx.jabber.org/streams' from='example.com' id='abc' "
            "version='1.0' xml:lang='en'>");
}

}  // namespace
}  // namespace convene::xml
