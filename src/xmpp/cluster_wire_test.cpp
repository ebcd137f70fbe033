#include "xmpp/cluster_wire.h"

#include <gtest/gtest.h>

namespace convene::xmpp {
namespace {

// Encoded and decoded again, `m` comes back whole.
void expect_round_trip(const RouterMessage& m) {
  auto back = decode_router_message(encode(m));
  ASSERT_TRUE(back);
  EXPECT_EQ(*back, m);
}

TEST(ClusterWire, MessagesRoundTrip) {
  RouterMessage m;
  m.type = RouterMessageType::node_sessions;
  m.node = 0x7fffffffffffffffull;
  m.sessions = {{"alice@x/a", true, -5, "<presence/>"}, {"bob@x/b", false, 0, ""}};
  m.components = {"cb1.x", "cb2.x"};
  expect_round_trip(m);

  RouterMessage r;
  r.type = RouterMessageType::relay;
  r.node = 1;
  r.incarnation = 2;
  r.seq = 3;
  r.target_node = 4;
  r.jid = "carol@x/c";
  r.stanza = "<message to='carol@x/c'><body>hi</body></message>";
  expect_round_trip(r);

  RouterMessage freed;
  freed.type = RouterMessageType::bridge_freed;
  freed.node = 5;
  freed.jid = "cb1.x";
  expect_round_trip(freed);

  RouterMessage d;
  d.type = RouterMessageType::delivered_many;
  d.node = 4;
  d.incarnation = 2;
  d.seqs = {3, 5, 0xffffffffffffffffull};
  expect_round_trip(d);
}

// Older nodes decode a relay or deliver that carries kReadsDeliveredMany: it adds
// no field, only an entry in one they ignore on stanzas.
TEST(ClusterWire, TheMarkOfANewerOriginChangesNoFieldOfAStanza) {
  RouterMessage m;
  m.type = RouterMessageType::deliver;
  m.node = 1;
  m.seq = 7;
  m.stanza = "<message/>";
  const size_t plain = encode(m).size();
  m.components = {std::string(kReadsDeliveredMany)};
  EXPECT_EQ(encode(m).size(), plain + 4 + kReadsDeliveredMany.size());
  m.seqs = {1, 2};  // not part of a deliver
  auto back = decode_router_message(encode(m));
  ASSERT_TRUE(back);
  EXPECT_TRUE(back->seqs.empty());
  EXPECT_EQ(back->components, m.components);
}

TEST(ClusterWire, TruncatedOrUnknownMessagesAreRefused) {
  RouterMessage m;
  m.type = RouterMessageType::deliver;
  m.stanza = "<message/>";
  std::string bytes = encode(m);
  for (size_t n = 0; n < bytes.size(); ++n) EXPECT_FALSE(decode_router_message(bytes.substr(0, n))) << n;
  EXPECT_FALSE(decode_router_message(bytes + "x"));

  RouterMessage d;
  d.type = RouterMessageType::delivered_many;
  d.seqs = {1, 2, 3};
  std::string many = encode(d);
  for (size_t n = 0; n < many.size(); ++n) EXPECT_FALSE(decode_router_message(many.substr(0, n))) << n;
  EXPECT_FALSE(decode_router_message(many + "x"));
  bytes[0] = 99;
  EXPECT_FALSE(decode_router_message(bytes));
}

}  // namespace
}  // namespace convene::xmpp
