#include "xml/stream_parser.h"

#include <gtest/gtest.h>

#include <functional>
#include <string>
#include <vector>

#include "xml/serializer.h"

namespace convene::xml {
namespace {

constexpr std::string_view kHeader =
    "<?xml version='1.0'?><stream:stream xmlns='jabber:client' "
    "xmlns:stream='http://etherx.jabber.org/streams' to='example.com' "
    "version='1.0' xml:lang='en'>";

// Records every event as text so runs can be compared as a whole.
struct Recorder : StreamHandler {
  std::vector<std::string> events;
  std::vector<std::string> raws;
  std::function<void(StreamParser&, Element&)> on_stanza_hook;
  StreamParser* parser = nullptr;

  void on_stream_open(const StreamHeader& h) override {
    events.push_back("open ns=" + h.content_ns + " to=" + h.to + " from=" + h.from +
                     " version=" + h.version + " lang=" + h.lang);
  }
  void on_stanza(Element& stanza, std::string_view raw) override {
    events.push_back("stanza " + to_string(stanza, {"jabber:client", true}));
    raws.emplace_back(raw);
    if (on_stanza_hook) on_stanza_hook(*parser, stanza);
  }
  void on_stream_close() override { events.push_back("close"); }
};

struct Outcome {
  std::vector<std::string> events, raws;
  std::optional<StreamError> error;
};

// Feed `input` cut at the given offsets.
Outcome run(std::string_view input, const std::vector<size_t>& cuts, ParserOptions options = {}) {
  Recorder rec;
  StreamParser parser(rec, options);
  rec.parser = &parser;
  Outcome r;
  size_t from = 0;
  std::vector<size_t> all = cuts;
  all.push_back(input.size());
  for (size_t to : all) {
    r.error = parser.feed(input.substr(from, to - from));
    from = to;
    if (r.error) break;
  }
  r.events = rec.events;
  r.raws = rec.raws;
  return r;
}

Outcome run_whole(std::string_view input, ParserOptions options = {}) {
  return run(input, {}, options);
}

const std::string kStream = std::string(kHeader) +
    "<message to='juliet@example.com/balcony' type='chat' id='m1'>"
    "<body>Wherefore art thou, &lt;Romeo&gt; &amp; caf\xc3\xa9 \xf0\x9f\x8e\xad?</body>"
    "<x:thread xmlns:x='urn:example:x' x:attr='1'>t1</x:thread>"
    "<html xmlns='http://jabber.org/protocol/xhtml-im'><body>Hi <b>there</b>!</body></html>"
    "</message>\n  \n"
    "<presence/>"
    "<iq type=\"get\" id='p&apos;1'><ping xmlns='urn:xmpp:ping'/></iq>"
    "<message><body><![CDATA[a <raw> & cdata]]></body></message> "
    "<stream:features><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'/></stream:features>"
    "</stream:stream>";

TEST(StreamParser, ParsesHeaderStanzasAndClose) {
  Outcome r = run_whole(kStream);
  ASSERT_FALSE(r.error) << r.error->text;
  ASSERT_EQ(r.events.size(), 7u);
  EXPECT_EQ(r.events[0], "open ns=jabber:client to=example.com from= version=1.0 lang=en");
  EXPECT_EQ(r.events[2], "stanza <presence/>");
  EXPECT_EQ(r.events[3], "stanza <iq type='get' id='p&apos;1'><ping xmlns='urn:xmpp:ping'/></iq>");
  EXPECT_EQ(r.events[4], "stanza <message><body>a &lt;raw&gt; &amp; cdata</body></message>");
  EXPECT_EQ(r.events[5],
            "stanza <stream:features><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'/>"
            "</stream:features>");
  EXPECT_EQ(r.events[6], "close");
}

TEST(StreamParser, RawBytesAreTheExactInput) {
  Outcome r = run_whole(kStream);
  ASSERT_EQ(r.raws.size(), 5u);
  for (const std::string& raw : r.raws) {
    EXPECT_NE(kStream.find(raw), std::string::npos) << raw;
  }
  EXPECT_EQ(r.raws[1], "<presence/>");
  EXPECT_EQ(r.raws[2], "<iq type=\"get\" id='p&apos;1'><ping xmlns='urn:xmpp:ping'/></iq>");
  EXPECT_EQ(r.raws[0].substr(0, 9), "<message ");
  EXPECT_EQ(r.raws[0].substr(r.raws[0].size() - 10), "</message>");
}

TEST(StreamParser, TreeKeepsNamespacesAndText) {
  Recorder rec;
  StreamParser parser(rec);
  rec.parser = &parser;
  bool checked = false;
  rec.on_stanza_hook = [&](StreamParser&, Element& e) {
    if (e.name() != "message" || checked) return;
    checked = true;
    EXPECT_EQ(e.ns(), "jabber:client");
    EXPECT_EQ(e.attr("to"), "juliet@example.com/balcony");
    EXPECT_EQ(e.find_child("body")->text(),
              "Wherefore art thou, <Romeo> & caf\xc3\xa9 \xf0\x9f\x8e\xad?");
    Element* thread = e.find_child("thread", "urn:example:x");
    ASSERT_NE(thread, nullptr);
    EXPECT_EQ(thread->prefix(), "x");
    ASSERT_NE(thread->find_attr("attr", "urn:example:x"), nullptr);
    Element* html = e.find_child_ns("http://jabber.org/protocol/xhtml-im");
    ASSERT_NE(html, nullptr);
    EXPECT_EQ(html->find_child("body")->text(), "Hi ");
  };
  ASSERT_FALSE(parser.feed(kStream));
  EXPECT_TRUE(checked);
  EXPECT_TRUE(parser.stream_closed());
}

TEST(StreamParser, EveryByteBoundaryGivesTheSameStanzas) {
  Outcome whole = run_whole(kStream);
  ASSERT_FALSE(whole.error);
  for (size_t cut = 0; cut <= kStream.size(); ++cut) {
    Outcome split = run(kStream, {cut});
    ASSERT_FALSE(split.error) << "cut at " << cut << ": " << split.error->text;
    ASSERT_EQ(split.events, whole.events) << "cut at " << cut;
    ASSERT_EQ(split.raws, whole.raws) << "cut at " << cut;
  }
}

TEST(StreamParser, ByteByByteAndPairsOfCuts) {
  Outcome whole = run_whole(kStream);
  std::vector<size_t> every;
  for (size_t i = 1; i < kStream.size(); ++i) every.push_back(i);
  Outcome bytes = run(kStream, every);
  ASSERT_FALSE(bytes.error);
  EXPECT_EQ(bytes.events, whole.events);
  EXPECT_EQ(bytes.raws, whole.raws);
  for (size_t a = 0; a < kStream.size(); a += 7) {
    for (size_t b = a; b < kStream.size(); b += 13) {
      Outcome split = run(kStream, {a, b});
      ASSERT_EQ(split.raws, whole.raws) << a << "," << b;
      ASSERT_EQ(split.events, whole.events) << a << "," << b;
    }
  }
}

StreamErrorCondition error_of(std::string_view body, ParserOptions options = {}) {
  Outcome r = run_whole(std::string(kHeader) + std::string(body), options);
  EXPECT_TRUE(r.error) << body;
  return r.error ? r.error->condition : StreamErrorCondition::bad_format;
}

TEST(StreamParser, StanzaSizeLimit) {
  ParserOptions small;
  small.max_stanza_bytes = 100;
  std::string ok = "<message><body>" + std::string(60, 'a') + "</body></message>";
  std::string big = "<message><body>" + std::string(200, 'a') + "</body></message>";
  EXPECT_FALSE(run_whole(std::string(kHeader) + ok, small).error);
  EXPECT_EQ(error_of(big, small), StreamErrorCondition::policy_violation);
  // Fed a byte at a time the limit still holds, and no stanza slips through.
  // (The header is longer than this tiny limit, so it arrives whole.)
  std::string input = std::string(kHeader) + big;
  std::vector<size_t> every;
  for (size_t i = kHeader.size(); i < input.size(); ++i) every.push_back(i);
  Outcome r = run(input, every, small);
  ASSERT_TRUE(r.error);
  EXPECT_EQ(r.error->condition, StreamErrorCondition::policy_violation);
  EXPECT_EQ(r.events.size(), 1u);  // only the open
  // A start tag that never ends is caught while expat is still buffering it.
  std::string endless = "<message to='" + std::string(200, 'x');
  EXPECT_EQ(error_of(endless, small), StreamErrorCondition::policy_violation);
}

// A start tag that never ends, sent a byte at a time, is refused once expat holds
// max_token_bytes of it: without the cap it would be read to the stanza limit,
// rescanned from its start on every byte.
TEST(StreamParser, UnfinishedTokenLimitStopsSlowStartTag) {
  ParserOptions options;  // defaults: 256 KiB stanzas, 16 KiB tokens
  Recorder rec;
  StreamParser parser(rec, options);
  ASSERT_FALSE(parser.feed(kHeader));
  ASSERT_FALSE(parser.feed("<message to='"));
  std::optional<StreamError> error;
  size_t fed = 0;
  while (!error && fed < options.max_stanza_bytes) {
    error = parser.feed("x");
    ++fed;
  }
  ASSERT_TRUE(error);
  EXPECT_EQ(error->condition, StreamErrorCondition::policy_violation);
  EXPECT_LE(fed, options.max_token_bytes);
}

// Finished tags are finished tokens: a stanza of many small elements with no text
// between them (a call bridge's occupants read back from the server: one
// <occupant/> per occupant) is longer than the token cap but holds no unfinished
// token, in whatever pieces it arrives.
TEST(StreamParser, ManyElementsWithoutTextAreNotAnUnfinishedToken) {
  ParserOptions options;
  options.max_token_bytes = 1024;
  std::string items;
  for (int i = 0; i < 500; ++i) items += "<occupant space='room1' nick='user" + std::to_string(i) + "'/>";
  std::string input = std::string(kHeader) + "<iq type='result'><occupants>" + items + "</occupants></iq>";
  ASSERT_GT(input.size(), 16 * options.max_token_bytes);
  std::vector<size_t> cuts;
  for (size_t i = kHeader.size(); i < input.size(); i += 4000) cuts.push_back(i);
  Outcome r = run(input, cuts, options);
  EXPECT_FALSE(r.error) << r.error->text;
  ASSERT_EQ(r.events.size(), 2u);  // open, the iq
}

// Text is reported as it arrives, so a body longer than the token cap, in small
// pieces, is still one good stanza.
TEST(StreamParser, LongTextIsNotAnUnfinishedToken) {
  ParserOptions options;
  options.max_token_bytes = 1024;
  std::string body(20 * 1024, 'a');
  std::string input = std::string(kHeader) + "<message><body>" + body + "</body></message>";
  std::vector<size_t> cuts;
  for (size_t i = kHeader.size(); i < input.size(); i += 100) cuts.push_back(i);
  Outcome r = run(input, cuts, options);
  EXPECT_FALSE(r.error) << r.error->text;
  ASSERT_EQ(r.events.size(), 2u);  // open, the message
}

TEST(StreamParser, DepthLimit) {
  ParserOptions opts;
  opts.max_depth = 4;
  EXPECT_FALSE(run_whole(std::string(kHeader) + "<a><b><c><d/></c></b></a>", opts).error);
  EXPECT_EQ(error_of("<a><b><c><d><e/></d></c></b></a>", opts),
            StreamErrorCondition::policy_violation);
  std::string deep;
  for (int i = 0; i < 10000; ++i) deep += "<a>";
  EXPECT_EQ(error_of(deep), StreamErrorCondition::policy_violation);
}

TEST(StreamParser, RejectsDtdEntitiesAndInstructions) {
  const std::string laughs =
      "<?xml version='1.0'?><!DOCTYPE lolz [<!ENTITY lol 'lol'>"
      "<!ENTITY lol1 '&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;'>"
      "<!ENTITY lol2 '&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;'>"
      "<!ENTITY lol3 '&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;'>]>"
      "<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'>"
      "<message><body>&lol3;</body></message>";
  Outcome r = run_whole(laughs);
  ASSERT_TRUE(r.error);
  EXPECT_EQ(r.error->condition, StreamErrorCondition::restricted_xml);
  EXPECT_TRUE(r.events.empty());
  // And split anywhere, still rejected before any expansion.
  for (size_t cut = 0; cut < laughs.size(); cut += 5) {
    Outcome s = run(laughs, {cut});
    ASSERT_TRUE(s.error);
    EXPECT_EQ(s.error->condition, StreamErrorCondition::restricted_xml) << cut;
  }
  EXPECT_EQ(run_whole("<!DOCTYPE stream:stream SYSTEM 'http://x/'>" + std::string(kHeader))
                .error->condition,
            StreamErrorCondition::restricted_xml);
  EXPECT_EQ(error_of("<?php echo 1; ?>"), StreamErrorCondition::restricted_xml);
  EXPECT_EQ(error_of("<message><!-- hi --></message>"), StreamErrorCondition::restricted_xml);
  // A DOCTYPE after the root element started is a plain syntax error.
  EXPECT_EQ(error_of("<!DOCTYPE x>"), StreamErrorCondition::not_well_formed);
  // Without a DTD no entity but the five predefined ones exists.
  EXPECT_EQ(error_of("<message>&lol;</message>"), StreamErrorCondition::not_well_formed);
}

TEST(StreamParser, MalformedInput) {
  EXPECT_EQ(error_of("<message></iq>"), StreamErrorCondition::not_well_formed);
  EXPECT_EQ(error_of("<foo:bar/>"), StreamErrorCondition::not_well_formed);  // unbound prefix
  EXPECT_EQ(error_of("<message a='1' a='2'/>"), StreamErrorCondition::not_well_formed);
  EXPECT_EQ(error_of("<message>\xff</message>"), StreamErrorCondition::not_well_formed);
  EXPECT_EQ(error_of("<message>\x01</message>"), StreamErrorCondition::not_well_formed);
  EXPECT_EQ(error_of("<message><</message>"), StreamErrorCondition::not_well_formed);
  EXPECT_EQ(error_of("hello"), StreamErrorCondition::bad_format);
  EXPECT_EQ(run_whole("<stream:stream xmlns:stream='urn:wrong'>").error->condition,
            StreamErrorCondition::invalid_namespace);
  EXPECT_EQ(run_whole("<stream xmlns='jabber:client'>").error->condition,
            StreamErrorCondition::invalid_namespace);
  std::string latin1 = "<?xml version='1.0' encoding='ISO-8859-1'?>";
  EXPECT_EQ(run_whole(latin1 + std::string(kHeader.substr(21)))
                .error->condition,
            StreamErrorCondition::unsupported_encoding);
  ParserOptions server;
  server.content_ns = "jabber:server";
  EXPECT_EQ(run_whole(kHeader, server).error->condition, StreamErrorCondition::invalid_namespace);
  EXPECT_EQ(condition_name(StreamErrorCondition::not_well_formed), "not-well-formed");
}

TEST(StreamParser, ErrorIsSticky) {
  Recorder rec;
  StreamParser parser(rec);
  ASSERT_FALSE(parser.feed(kHeader));
  auto e = parser.feed("<a></b>");
  ASSERT_TRUE(e);
  auto again = parser.feed("<presence/>");
  ASSERT_TRUE(again);
  EXPECT_EQ(again->condition, StreamErrorCondition::not_well_formed);
  EXPECT_EQ(rec.events.size(), 1u);
}

TEST(StreamParser, RestartInsideHandlerParsesTheRestAsANewStream) {
  // SASL success: the client's next stream header may share the read.
  std::string input = std::string(kHeader) +
                      "<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl'/>" +
                      std::string(kHeader) + "<iq id='bind'/>";
  Outcome whole;
  for (size_t cut = 0; cut <= input.size(); ++cut) {
    Recorder rec;
    StreamParser parser(rec);
    rec.parser = &parser;
    rec.on_stanza_hook = [](StreamParser& p, Element& e) {
      if (e.name() == "auth") p.restart();
    };
    ASSERT_FALSE(parser.feed(std::string_view(input).substr(0, cut)));
    ASSERT_FALSE(parser.feed(std::string_view(input).substr(cut)));
    ASSERT_EQ(rec.events.size(), 4u) << cut;
    EXPECT_EQ(rec.events[2], rec.events[0]);
    EXPECT_EQ(rec.events[3], "stanza <iq id='bind'/>");
    EXPECT_EQ(rec.raws[1], "<iq id='bind'/>");
    EXPECT_TRUE(parser.stream_open());
  }
}

TEST(StreamParser, StopDiscardsTheRestUntilRestart) {
  // STARTTLS: plaintext that follows <starttls/> must never be parsed.
  Recorder rec;
  StreamParser parser(rec);
  rec.parser = &parser;
  rec.on_stanza_hook = [](StreamParser& p, Element& e) {
    if (e.name() == "starttls") p.stop();
  };
  ASSERT_FALSE(parser.feed(std::string(kHeader) +
                           "<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/><iq id='evil'/>"));
  ASSERT_FALSE(parser.feed("<iq id='evil2'/>"));
  EXPECT_EQ(rec.events.size(), 2u);
  parser.restart();  // TLS is up
  ASSERT_FALSE(parser.feed(std::string(kHeader) + "<iq id='good'/>"));
  ASSERT_EQ(rec.events.size(), 4u);
  EXPECT_EQ(rec.events[3], "stanza <iq id='good'/>");
}

TEST(StreamParser, RawWithheldWhenHeaderBindsOtherPrefixes) {
  Outcome r = run_whole(
      "<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' "
      "xmlns:p='urn:p'><p:x/><message/>");
  ASSERT_FALSE(r.error);
  ASSERT_EQ(r.raws.size(), 2u);
  EXPECT_EQ(r.raws[0], "");
  EXPECT_EQ(r.events[1], "stanza <p:x xmlns:p='urn:p'/>");
}

TEST(StreamParser, SteadyStateReusesMemory) {
  Recorder rec;
  StreamParser parser(rec);
  ASSERT_FALSE(parser.feed(kHeader));
  std::string stanza = "<message to='a@b' from='c@d/e' id='x'><body>hello</body></message>";
  for (int i = 0; i < 1000; ++i) ASSERT_FALSE(parser.feed(stanza));
  EXPECT_EQ(rec.events.size(), 1001u);
  parser.release_memory();
  ASSERT_FALSE(parser.feed(stanza));
  EXPECT_EQ(rec.raws.back(), stanza);
}

// Idle release (release_memory between stanzas frees expat; the next bytes make a
// new one): whatever the split, the events, raw bytes and errors are those of an
// uninterrupted parse.
TEST(StreamParser, IdleReleaseAtEveryCutChangesNothing) {
  std::string stanzas =
      "<message to='a@b' id='1'><body>one &amp; two</body></message> \n"
      "<iq type='get' id='2'><query xmlns='jabber:iq:roster'/></iq>"
      "<presence><show>away</show></presence></stream:stream>";
  std::string input = std::string(kHeader) + stanzas;
  Outcome whole = run_whole(input);
  ASSERT_FALSE(whole.error);
  ASSERT_EQ(whole.events.size(), 5u);
  int released = 0;
  for (size_t cut = kHeader.size(); cut < input.size(); ++cut) {
    Recorder rec;
    StreamParser parser(rec);
    ASSERT_FALSE(parser.feed(input.substr(0, cut)));
    parser.release_memory();
    released += parser.released();
    ASSERT_FALSE(parser.feed(input.substr(cut))) << "cut at " << cut;
    EXPECT_FALSE(parser.released());
    EXPECT_EQ(rec.events, whole.events) << "cut at " << cut;
    EXPECT_EQ(rec.raws, whole.raws) << "cut at " << cut;
  }
  EXPECT_EQ(released, 6);  // after the header, each of the three stanzas and the two blanks
}

TEST(StreamParser, LimitsAndErrorsHoldAfterIdleRelease) {
  ParserOptions small;
  small.max_stanza_bytes = 64;
  Recorder rec;
  StreamParser parser(rec, small);
  ASSERT_FALSE(parser.feed(std::string(kHeader) + "<message/>"));
  parser.release_memory();
  auto err = parser.feed("<message><body>" + std::string(80, 'x') + "</body></message>");
  ASSERT_TRUE(err);
  EXPECT_EQ(err->condition, StreamErrorCondition::policy_violation);

  Recorder rec2;
  StreamParser parser2(rec2);
  ASSERT_FALSE(parser2.feed(std::string(kHeader) + "<message/>"));
  parser2.release_memory();
  err = parser2.feed("<message><unclosed></message>");
  ASSERT_TRUE(err);
  EXPECT_EQ(err->condition, StreamErrorCondition::not_well_formed);

  // A prefix the client bound in its header must stay bound: such streams keep
  // their parser (raw bytes are withheld for them anyway).
  Recorder rec3;
  StreamParser parser3(rec3);
  ASSERT_FALSE(parser3.feed(
      "<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' "
      "xmlns:p='urn:p'><message/>"));
  parser3.release_memory();
  EXPECT_FALSE(parser3.released());
  ASSERT_FALSE(parser3.feed("<p:x/>"));
  EXPECT_EQ(rec3.events.back(), "stanza <p:x xmlns:p='urn:p'/>");
}

TEST(StreamParser, RestartAfterIdleRelease) {
  Recorder rec;
  StreamParser parser(rec);
  ASSERT_FALSE(parser.feed(std::string(kHeader) + "<message/>"));
  parser.release_memory();
  ASSERT_TRUE(parser.released());
  parser.restart();
  ASSERT_FALSE(parser.feed(std::string(kHeader) + "<presence/>"));
  ASSERT_EQ(rec.events.size(), 4u);
  EXPECT_EQ(rec.events[2], rec.events[0]);  // the new header, parsed as a header
  EXPECT_EQ(rec.raws.back(), "<presence/>");
}

}  // namespace
}  // namespace convene::xml
