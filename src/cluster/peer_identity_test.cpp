#include "cluster/peer_identity.h"

#include <gtest/gtest.h>

namespace convene::cluster {
namespace {

tls::PeerCertificate cert(std::vector<std::string> names, bool pinned = false, bool ours = false) {
  tls::PeerCertificate c;
  c.subject = "/CN=test";
  c.names = std::move(names);
  c.in_trust_bundle = pinned;
  c.same_key_as_ours = ours;
  return c;
}

TEST(PeerIdentity, PinnedOrSharedCertificateIsTrustedForAnyNode) {
  EXPECT_EQ(judge_peer(cert({"lab"}, true), "10.0.0.2", "10.0.0.9"), PeerStanding::trusted);
  EXPECT_EQ(judge_peer(cert({"lab"}, false, true), "10.0.0.2", "10.0.0.9"), PeerStanding::trusted);
}

TEST(PeerIdentity, CaSignedCertificateMustNameTheClaimedAddress) {
  EXPECT_EQ(judge_peer(cert({"node2.example", "10.0.0.2"}), "10.0.0.2", "10.0.0.9"), PeerStanding::named);
  EXPECT_EQ(judge_peer(cert({"NODE2.example"}), "node2.EXAMPLE", "10.0.0.9"), PeerStanding::named);
  EXPECT_EQ(judge_peer(cert({"::1"}), "0:0::1", "10.0.0.9"), PeerStanding::named);
  // Another name, from another host: nobody this certificate may speak for.
  EXPECT_EQ(judge_peer(cert({"evil.example", "10.0.0.9"}), "10.0.0.2", "10.0.0.9"), PeerStanding::refused);
  // Another name, from the claimed host itself (a rotated certificate naming nothing).
  EXPECT_EQ(judge_peer(cert({"dbserver"}), "10.0.0.2", "10.0.0.2"), PeerStanding::located);
}

TEST(PeerIdentity, NamesCompareAsAddressesOrCaseInsensitively) {
  EXPECT_TRUE(names_host("127.0.0.1", "127.0.0.1"));
  EXPECT_FALSE(names_host("127.0.0.1", "127.0.0.10"));
  EXPECT_FALSE(names_host("127.0.0.1", "localhost"));
  EXPECT_FALSE(names_host("", ""));
  EXPECT_TRUE(names_host("Convene.Test", "convene.test"));
}

}  // namespace
}  // namespace convene::cluster
