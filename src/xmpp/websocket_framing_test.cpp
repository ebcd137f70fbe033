#include "xmpp/websocket_framing.h"

#include <gtest/gtest.h>

namespace convene::xmpp {
namespace {

TEST(WebSocketFraming, OpenBecomesAStreamHeaderWithItsAttributes) {
  std::string out;
  ASSERT_EQ(translate_client_message(
                "  <open xmlns=\"urn:ietf:params:xml:ns:xmpp-framing\" to=\"example.com\" version=\"1.0\"/>\n", out),
            ClientMessage::open);
  EXPECT_EQ(out,
            "<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' "
            "to=\"example.com\" version=\"1.0\">");
}

TEST(WebSocketFraming, CloseBecomesTheStreamEnd) {
  std::string out;
  ASSERT_EQ(translate_client_message("<close xmlns='urn:ietf:params:xml:ns:xmpp-framing'/>", out),
            ClientMessage::close);
  EXPECT_EQ(out, "</stream:stream>");
}

TEST(WebSocketFraming, OpenOutsideTheFramingNamespaceIsRefused) {
  std::string out;
  EXPECT_EQ(translate_client_message("<open xmlns='jabber:client' to='example.com'/>", out),
            ClientMessage::wrong_namespace);
  EXPECT_EQ(translate_client_message("<open to='example.com'/>", out), ClientMessage::wrong_namespace);
}

TEST(WebSocketFraming, OpenThatIsNotSelfClosedOrNotAttributesIsMalformed) {
  std::string out;
  EXPECT_EQ(translate_client_message("<open xmlns='urn:ietf:params:xml:ns:xmpp-framing'>", out),
            ClientMessage::malformed);
  EXPECT_EQ(translate_client_message("<open xmlns='urn:ietf:params:xml:ns:xmpp-framing' to=x/>", out),
            ClientMessage::malformed);
}

TEST(WebSocketFraming, TcpStyleHeadersEndTagsAndTextAreMalformed) {
  std::string out;
  EXPECT_EQ(translate_client_message("<stream:stream xmlns='jabber:client' to='a'>", out), ClientMessage::malformed);
  EXPECT_EQ(translate_client_message("</stream:stream>", out), ClientMessage::malformed);
  EXPECT_EQ(translate_client_message("hello", out), ClientMessage::malformed);
  EXPECT_EQ(translate_client_message("<?xml version='1.0'?>", out), ClientMessage::malformed);
}

TEST(WebSocketFraming, WhitespaceIsAKeepaliveWithNothingToParse) {
  std::string out = "stale";
  EXPECT_EQ(translate_client_message(" \n ", out), ClientMessage::element);
  EXPECT_EQ(translate_client_message("", out), ClientMessage::element);
  EXPECT_EQ(out, "");
}

TEST(WebSocketFraming, StanzasPassTrimmed) {
  std::string out;
  ASSERT_EQ(translate_client_message("\n<message xmlns='jabber:client' to='a@b'><body>x</body></message> ", out),
            ClientMessage::element);
  EXPECT_EQ(out, "<message xmlns='jabber:client' to='a@b'><body>x</body></message>");
  // <opener/> is an element named otherwise, not <open/>.
  EXPECT_EQ(translate_client_message("<opener/>", out), ClientMessage::element);
}

TEST(WebSocketFraming, ServerHeaderBecomesOpenWithoutStreamDeclarations) {
  ServerFraming f;
  std::vector<std::string> m;
  f.translate(
      "<?xml version='1.0'?><stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' "
      "from='example.com' id='abc' version='1.0' xml:lang='en'>",
      m);
  ASSERT_EQ(m.size(), 1u);
  EXPECT_EQ(m[0],
            "<open xmlns='urn:ietf:params:xml:ns:xmpp-framing' from='example.com' id='abc' version='1.0' "
            "xml:lang='en'/>");
}

TEST(WebSocketFraming, EachTopLevelElementIsOneMessageWithItsNamespaces) {
  ServerFraming f;
  std::vector<std::string> m;
  f.translate(
      "<stream:features><mechanisms xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><mechanism>PLAIN</mechanism>"
      "</mechanisms></stream:features> <message to='a@b' from='c@b'><body>1 &gt; 0 '&lt;'</body></message>"
      "<presence from='c@b'/><success xmlns='urn:ietf:params:xml:ns:xmpp-sasl'/>",
      m);
  ASSERT_EQ(m.size(), 4u);
  EXPECT_EQ(m[0],
            "<stream:features xmlns:stream='http://etherx.jabber.org/streams'><mechanisms "
            "xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><mechanism>PLAIN</mechanism></mechanisms></stream:features>");
  EXPECT_EQ(m[1], "<message xmlns='jabber:client' to='a@b' from='c@b'><body>1 &gt; 0 '&lt;'</body></message>");
  EXPECT_EQ(m[2], "<presence xmlns='jabber:client' from='c@b'/>");
  EXPECT_EQ(m[3], "<success xmlns='urn:ietf:params:xml:ns:xmpp-sasl'/>");
}

TEST(WebSocketFraming, AnElementCutBetweenWritesWaitsForItsEnd) {
  ServerFraming f;
  std::vector<std::string> m;
  f.translate("<message to='a@b' x='>'><body>one <![CDATA[</message>]]>", m);
  EXPECT_TRUE(m.empty());
  f.translate(" two</body></mess", m);
  EXPECT_TRUE(m.empty());
  f.translate("age><iq type='result' id='1'/>", m);
  ASSERT_EQ(m.size(), 2u);
  EXPECT_EQ(m[0], "<message xmlns='jabber:client' to='a@b' x='>'><body>one <![CDATA[</message>]]> two</body></message>");
  EXPECT_EQ(m[1], "<iq xmlns='jabber:client' type='result' id='1'/>");
}

TEST(WebSocketFraming, StreamErrorThenEndBecomeErrorThenClose) {
  ServerFraming f;
  std::vector<std::string> m;
  f.translate(
      "<stream:error><not-well-formed xmlns='urn:ietf:params:xml:ns:xmpp-streams'/></stream:error></stream:stream>",
      m);
  ASSERT_EQ(m.size(), 2u);
  EXPECT_EQ(m[0],
            "<stream:error xmlns:stream='http://etherx.jabber.org/streams'><not-well-formed "
            "xmlns='urn:ietf:params:xml:ns:xmpp-streams'/></stream:error>");
  EXPECT_EQ(m[1], "<close xmlns='urn:ietf:params:xml:ns:xmpp-framing'/>");
  EXPECT_TRUE(f.closed());
}

}  // namespace
}  // namespace convene::xmpp
