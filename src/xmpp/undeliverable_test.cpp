#include "xmpp/undeliverable.h"

#include <gtest/gtest.h>

namespace convene::xmpp {
namespace {

TEST(Undeliverable, MessagesAndRequestsBounceErrorsAndPresenceDoNot) {
  EXPECT_TRUE(bounces_when_undeliverable("message", ""));
  EXPECT_TRUE(bounces_when_undeliverable("message", "chat"));
  EXPECT_TRUE(bounces_when_undeliverable("message", "groupchat"));
  EXPECT_FALSE(bounces_when_undeliverable("message", "error"));
  EXPECT_TRUE(bounces_when_undeliverable("iq", "get"));
  EXPECT_TRUE(bounces_when_undeliverable("iq", "set"));
  EXPECT_FALSE(bounces_when_undeliverable("iq", "result"));
  EXPECT_FALSE(bounces_when_undeliverable("iq", "error"));
  EXPECT_FALSE(bounces_when_undeliverable("presence", ""));
  EXPECT_FALSE(bounces_when_undeliverable("presence", "subscribe"));
}

}  // namespace
}  // namespace convene::xmpp
