// Two real PeerNetworks on loopback (NET.1-2, CONVENE_TEST_NET or 127.0.1) with a
// certificate made at test time, one message link between them.
#include "cluster/peer_links.h"

#include <gtest/gtest.h>

#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <future>
#include <mutex>
#include <string>
#include <vector>

#include "tls/test_certs.h"
#include "util/testing.h"

namespace convene::cluster {
namespace {

using namespace std::chrono_literals;

TEST(PeerLinks, WhatAHandlerDefersRunsOnceEveryMessageOfItsReadWasHandled) {
  convene::testing::TempDir dir;
  auto cert = convene::testing::make_self_signed(dir.path(), "abhiall");
  auto tls = tls::TlsContextSource::open({cert.key, cert.cert, cert.cert});
  ASSERT_TRUE(tls) << tls.error().text();
  const char* net = std::getenv("CONVENE_TEST_NET");
  const std::string prefix = net ? net : "127.0.1";
  const std::string port = std::to_string(61000 + static_cast<int>(::getpid() % 1000));
  const std::string a_address = prefix + ".1:" + port, b_address = prefix + ".2:" + port;
  PeerNetwork a(*tls, 1, a_address), b(*tls, 2, b_address);
  PeerLinks a_links(a), b_links(b);

  constexpr int kMessages = 200;
  std::mutex mu;  // the handler runs on b's network thread, the checks on this one
  std::vector<std::string> received;
  int in_handler = 0, deferred_ran = 0, ran_inside_a_handler = 0, ran_after_later_messages = 0;
  std::promise<void> all_confirmed;
  int confirmed = 0;
  b_links.serve([&](std::uint64_t from, std::string message) {
    EXPECT_EQ(from, 1u);
    {
      std::lock_guard lock(mu);
      ++in_handler;
      received.push_back(std::move(message));
    }
    int upto;
    {
      std::lock_guard lock(mu);
      upto = static_cast<int>(received.size());
    }
    PeerLinks::after_this_read([&, upto] {
      std::lock_guard lock(mu);
      ++deferred_ran;
      if (in_handler) ++ran_inside_a_handler;
      if (static_cast<int>(received.size()) > upto) ++ran_after_later_messages;
      confirmed = std::max(confirmed, upto);
      if (confirmed == kMessages) all_confirmed.set_value();
    });
    std::lock_guard lock(mu);
    --in_handler;
  });
  // Declared last, so destroyed first: no network thread calls into the locals above once they are gone.
  struct StopFirst {
    PeerNetwork &a, &b;
    ~StopFirst() {
      a.stop();
      b.stop();
    }
  } stop_first{a, b};
  auto listening = b.listen();
  ASSERT_TRUE(listening) << listening.error().text();

  // Queued while the link is being dialled, so they leave in one write and arrive
  // in one read (a few KiB: one TLS record).
  for (int k = 0; k < kMessages; ++k) a_links.send(b_address, "message " + std::to_string(k));
  ASSERT_EQ(all_confirmed.get_future().wait_for(20s), std::future_status::ready) << "not every message was handled";

  std::lock_guard lock(mu);
  ASSERT_EQ(received.size(), static_cast<size_t>(kMessages));
  for (int k = 0; k < kMessages; ++k) EXPECT_EQ(received[k], "message " + std::to_string(k));
  EXPECT_EQ(ran_inside_a_handler, 0);
  EXPECT_EQ(deferred_ran, kMessages);  // each deferred call once, and ...
  EXPECT_GT(ran_after_later_messages, 0) << "... after the messages that came with it in the read";
}

TEST(PeerLinks, OutsideAHandlerWhatIsDeferredRunsAtOnce) {
  bool ran = false;
  PeerLinks::after_this_read([&] { ran = true; });
  EXPECT_TRUE(ran);
}

}  // namespace
}  // namespace convene::cluster
