#include "xmpp/cluster_wire.h"

#include <gtest/gtest.h>

namespace convene::xmpp {
namespace {

TEST(ClusterWire, MessagesRoundTrip) {
  RouterMessage m;
  m.type = RouterMessageType::node_sessions;
  m.node = 0x7fffffffffffffffull;
  m.sessions = {{"alice@x/a", true, -5, "<presence/>"}, {"bob@x/b", false, 0, ""}};
  m.components = {"cb1.x", "cb2.x"};
  auto back = decode_router_message(encode(m));
  ASSERT_TRUE(back);
  EXPECT_EQ(*back, m);

  RouterMessage r;
  r.type = RouterMessageType::relay;
  r.node = 1;
  r.incarnation = 2;
  r.seq = 3;
  r.target_node = 4;
  r.jid = "carol@x/c";
  r.stanza = "<message to='carol@x/c'><body>hi</body></message>";
  back = decode_router_message(encode(r));
  ASSERT_TRUE(back);
  EXPECT_EQ(*back, r);

  RouterMessage freed;
  freed.type = RouterMessageType::bridge_freed;
  freed.node = 5;
  freed.jid = "cb1.x";
  back = decode_router_message(encode(freed));
  ASSERT_TRUE(back);
  EXPECT_EQ(*back, freed);
}

TEST(ClusterWire, TruncatedOrUnknownMessagesAreRefused) {
  RouterMessage m;
  m.type = RouterMessageType::deliver;
  m.stanza = "<message/>";
  std::string bytes = encode(m);
  for (size_t n = 0; n < bytes.size(); ++n) EXPECT_FALSE(decode_router_message(bytes.substr(0, n))) << n;
  EXPECT_FALSE(decode_router_message(bytes + "x"));
  bytes[0] = 99;
  EXPECT_FALSE(decode_router_message(bytes));
}

}  // namespace
}  // namespace convene::xmpp
