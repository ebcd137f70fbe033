#include "web/websocket_frames.h"

#include <gtest/gtest.h>

namespace convene::web::ws {
namespace {

// A client frame: masked with a fixed key.
std::string client_frame(std::uint8_t first, std::string_view payload, bool masked = true) {
  std::string out;
  out.push_back(char(first));
  std::uint8_t mask_bit = masked ? 0x80 : 0;
  if (payload.size() < 126) {
    out.push_back(char(mask_bit | payload.size()));
  } else if (payload.size() <= 0xffff) {
    out.push_back(char(mask_bit | 126));
    out.push_back(char(payload.size() >> 8));
    out.push_back(char(payload.size() & 0xff));
  } else {
    out.push_back(char(mask_bit | 127));
    for (int s = 56; s >= 0; s -= 8) out.push_back(char((std::uint64_t(payload.size()) >> s) & 0xff));
  }
  const char key[4] = {0x12, 0x34, 0x56, 0x78};
  if (masked) out.append(key, 4);
  for (std::size_t i = 0; i < payload.size(); ++i) out.push_back(masked ? char(payload[i] ^ key[i % 4]) : payload[i]);
  return out;
}

TEST(WebSocketFrames, AcceptKeyIsTheRfcExample) {
  EXPECT_EQ(accept_key("dGhlIHNhbXBsZSBub25jZQ=="), "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
}

TEST(WebSocketFrames, MaskedTextArrivesWholeEvenByteByByte) {
  FrameReader r(1000);
  std::vector<Event> events;
  auto bytes = client_frame(0x81, "<presence/>") + client_frame(0x81, std::string(300, 'x'));
  for (char c : bytes) r.feed(std::string_view(&c, 1), events);
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].kind, Event::Kind::text);
  EXPECT_EQ(events[0].payload, "<presence/>");
  EXPECT_EQ(events[1].payload, std::string(300, 'x'));
  EXPECT_EQ(r.buffered(), 0u);
}

TEST(WebSocketFrames, FragmentsMakeOneMessageAndControlFramesMayComeBetween) {
  FrameReader r(1000);
  std::vector<Event> events;
  r.feed(client_frame(0x01, "<mess") + client_frame(0x89, "p") + client_frame(0x80, "age/>"), events);
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].kind, Event::Kind::ping);
  EXPECT_EQ(events[1].kind, Event::Kind::text);
  EXPECT_EQ(events[1].payload, "<message/>");
}

TEST(WebSocketFrames, AMessageTooBigIsRefusedFromItsHeader) {
  FrameReader r(100);
  std::vector<Event> events;
  std::string header = client_frame(0x81, std::string(70000, 'x')).substr(0, 10);  // the 64-bit form: no mask, no payload yet
  r.feed(header, events);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].kind, Event::Kind::fail);
  EXPECT_EQ(events[0].code, kCloseTooBig);
  // A 64-bit length near 2^63: refused, nothing allocated.
  FrameReader huge(100);
  std::string h{char(0x81), char(0xff), char(0x7f), char(0xff), char(0xff), char(0xff),
                char(0xff), char(0xff), char(0xff), char(0xff)};
  events.clear();
  huge.feed(h, events);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].code, kCloseTooBig);
  EXPECT_EQ(huge.buffered(), 0u);
  // Fragments count together.
  FrameReader frag(10);
  events.clear();
  frag.feed(client_frame(0x01, "123456") + client_frame(0x80, "789012"), events);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].code, kCloseTooBig);
}

TEST(WebSocketFrames, ProtocolViolationsFail) {
  auto first_event = [](std::string bytes) {
    FrameReader r(1000);
    std::vector<Event> events;
    r.feed(bytes, events);
    return events.empty() ? Event{Event::Kind::pong, "none", 0} : events.front();
  };
  EXPECT_EQ(first_event(client_frame(0x81, "x", false)).code, kCloseProtocolError);  // unmasked
  EXPECT_EQ(first_event(client_frame(0xC1, "x")).code, kCloseProtocolError);         // RSV1
  EXPECT_EQ(first_event(client_frame(0x83, "x")).code, kCloseProtocolError);         // opcode 3
  EXPECT_EQ(first_event(client_frame(0x80, "x")).code, kCloseProtocolError);         // lone continuation
  EXPECT_EQ(first_event(client_frame(0x09, "x")).code, kCloseProtocolError);         // fragmented ping
  EXPECT_EQ(first_event(client_frame(0x01, "x") + client_frame(0x81, "y")).code, kCloseProtocolError);
}

TEST(WebSocketFrames, BinaryAndCloseAreReported) {
  FrameReader r(1000);
  std::vector<Event> events;
  r.feed(client_frame(0x82, "\x01\x02") + client_frame(0x88, std::string("\x03\xe8") + "bye") +
             client_frame(0x81, "ignored"),
         events);
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].kind, Event::Kind::binary);
  EXPECT_EQ(events[1].kind, Event::Kind::close);
  EXPECT_EQ(events[1].code, 1000);
  EXPECT_EQ(events[1].payload, "bye");
}

TEST(WebSocketFrames, ServerFramesAreUnmaskedWithTheShortestLength) {
  EXPECT_EQ(encode_frame(Opcode::text, "hi"), std::string("\x81\x02hi"));
  auto mid = encode_frame(Opcode::text, std::string(200, 'a'));
  EXPECT_EQ(mid.substr(0, 4), std::string("\x81\x7e\x00\xc8", 4));
  auto big = encode_frame(Opcode::text, std::string(70000, 'a'));
  EXPECT_EQ(big.substr(0, 10), std::string("\x81\x7f\x00\x00\x00\x00\x00\x01\x11\x70", 10));
  EXPECT_EQ(encode_close(1008, "x"), std::string("\x88\x03\x03\xf0x", 5));
}

}  // namespace
}  // namespace convene::web::ws
