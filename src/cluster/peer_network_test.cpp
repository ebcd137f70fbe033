// Two real PeerNetworks on loopback (127.0.1.1-2) with a certificate made at test
// time: the options every cluster connection carries, on both of its ends.
#include "cluster/peer_network.h"

#include <gtest/gtest.h>

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <future>

#include "tls/test_certs.h"
#include "util/testing.h"

namespace convene::cluster {
namespace {

using namespace std::chrono_literals;

int user_timeout_ms(TlsStream& stream) {
  unsigned value = 0;
  socklen_t len = sizeof value;
  if (::getsockopt(stream.lowest_layer().native_handle(), IPPROTO_TCP, TCP_USER_TIMEOUT, &value, &len) != 0)
    return -1;
  return static_cast<int>(value);
}

TEST(PeerNetwork, BothEndsOfAConnectionEndItWhenDataStaysUnacknowledged) {
  convene::testing::TempDir dir;
  auto cert = convene::testing::make_self_signed(dir.path(), "abhiall");
  auto tls = tls::TlsContextSource::open({cert.key, cert.cert, cert.cert});
  ASSERT_TRUE(tls) << tls.error().text();
  const int port = 62000 + static_cast<int>(::getpid() % 1000);
  const std::string a_address = "127.0.1.1:" + std::to_string(port), b_address = "127.0.1.2:" + std::to_string(port);
  PeerNetwork a(*tls, 1, a_address), b(*tls, 2, b_address);

  std::promise<std::shared_ptr<TlsStream>> accepted;
  b.on_accept(Channel::messages, [&](std::shared_ptr<TlsStream> s, PeerHello) { accepted.set_value(std::move(s)); });
  auto listening = b.listen();
  ASSERT_TRUE(listening) << listening.error().text();
  std::promise<Result<std::shared_ptr<TlsStream>>> dialled;
  a.dial(b_address, Channel::messages, [&](Result<std::shared_ptr<TlsStream>> r) { dialled.set_value(std::move(r)); });

  auto dial_future = dialled.get_future();
  ASSERT_EQ(dial_future.wait_for(10s), std::future_status::ready) << "no answer to the dial";
  auto dialled_stream = dial_future.get();
  ASSERT_TRUE(dialled_stream) << dialled_stream.error().text();
  auto accept_future = accepted.get_future();
  ASSERT_EQ(accept_future.wait_for(10s), std::future_status::ready) << "the connection never reached the acceptor";
  auto accepted_stream = accept_future.get();

  EXPECT_EQ(user_timeout_ms(**dialled_stream), kUnacknowledgedLimit.count());
  EXPECT_EQ(user_timeout_ms(*accepted_stream), kUnacknowledgedLimit.count());
  a.stop();
  b.stop();
}

}  // namespace
}  // namespace convene::cluster
