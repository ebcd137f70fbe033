#include "dbcluster/status_view.h"

#include <gtest/gtest.h>

namespace convene::dbcluster {
namespace {

using namespace std::chrono;

pki::Time at(long days_from_epoch) { return pki::Time(seconds(days_from_epoch * 86400)); }

pki::CertificateInfo cert_until(pki::Time not_after) {
  pki::CertificateInfo info;
  info.not_before = pki::Time(seconds(0));
  info.not_after = not_after;
  return info;
}

std::vector<CertLine> seed_certs(pki::Time now, bool expired) {
  auto until = expired ? now - seconds(86400 * 10) : now + seconds(86400 * 300);
  return {{"Server Key", "dbclusterserver.key", {}, false},
          {"Server Certificate", "dbclusterserver.cer", cert_until(until), false},
          {"Client Key", "dbclusterclient.key", {}, false},
          {"Client Certificate", expired ? "EXPRSVR.cer" : "dbclusterclient.cer", cert_until(until), false},
          {"CA Certificate", "CA.cer", cert_until(now + seconds(86400 * 3000)), false}};
}

TEST(StatusView, DisabledWithExpiredCertificatesAsInSeedStep1) {
  auto now = at(20000);
  StatusView v;
  v.interface = "a";
  v.certs = seed_certs(now, true);
  EXPECT_EQ(render_status(v, now),
            "Status                : Disabled\n"
            "Node in use           : None\n"
            "\n"
            "Interface             : a\n"
            "\n"
            "Certificates\n"
            "  Server Key          : dbclusterserver.key\n"
            "  Server Certificate  : dbclusterserver.cer (expired)\n"
            "  Client Key          : dbclusterclient.key\n"
            "  Client Certificate  : EXPRSVR.cer (expired)\n"
            "  CA Certificate      : CA.cer\n");
}

TEST(StatusView, EnabledThreeNodesAsInSeedStep13) {
  auto now = at(20000);
  StatusView v;
  v.state = StatusView::State::kEnabled;
  v.nodes = {{"10.106.85.73", false, "Connected Master"},
             {"10.106.85.74", false, "Connected Slave ( In Sync )"},
             {"10.106.85.75", true, "Connected Slave ( In Sync )"}};
  v.node_in_use = "10.106.85.73";
  v.interface = "a";
  v.certs = seed_certs(now, false);
  v.last_command = "database cluster join 10.106.85.73";
  EXPECT_EQ(render_status(v, now),
            "Status                : Enabled\n"
            "\n"
            "Nodes:\n"
            "  10.106.85.73       : Connected Master\n"
            "  10.106.85.74       : Connected Slave ( In Sync )\n"
            "  10.106.85.75 (me)  : Connected Slave ( In Sync )\n"
            "Node in use           : 10.106.85.73\n"
            "\n"
            "Interface             : a\n"
            "\n"
            "Certificates\n"
            "  Server Key          : dbclusterserver.key\n"
            "  Server Certificate  : dbclusterserver.cer\n"
            "  Client Key          : dbclusterclient.key\n"
            "  Client Certificate  : dbclusterclient.cer\n"
            "  CA Certificate      : CA.cer\n"
            "\n"
            "Last command          : 'database cluster join 10.106.85.73' (Success)\n");
}

TEST(StatusView, FailoverLineFollowsNodeInUse) {
  auto now = at(20000);
  StatusView v;
  v.state = StatusView::State::kEnabled;
  v.node_in_use = "10.106.85.74";
  v.failover = "Automatic (agents' group of 3); master since 2026-11-22T14:31:08Z, took over from 10.106.85.73";
  auto text = render_status(v, now);
  EXPECT_NE(text.find("Node in use           : 10.106.85.74\n"
                      "Failover              : Automatic (agents' group of 3); master since 2026-11-22T14:31:08Z, "
                      "took over from 10.106.85.73\n"),
            std::string::npos)
      << text;
}

TEST(StatusView, DisablingShowsSecondsAndEmptyNodes) {
  auto now = at(20000);
  StatusView v;
  v.state = StatusView::State::kDisabling;
  v.disabling_seconds = 19;
  v.interface = "a";
  auto text = render_status(v, now);
  EXPECT_EQ(text.substr(0, text.find("Interface")),
            "Status                : Disabling (Started 19 seconds ago)\n\nNodes:\nNode in use           : None\n\n");
}

TEST(StatusView, FailedLastCommandSaysWhy) {
  StatusView v;
  v.last_command = "database cluster join 127.0.1.9";
  v.last_ok = false;
  v.last_error = "cannot reach";
  EXPECT_NE(render_status(v, at(1)).find("Last command          : 'database cluster join 127.0.1.9' (Failed: cannot reach)"),
            std::string::npos);
}

TEST(StatusView, WarnsThirtyDaysAhead) {
  auto now = at(20000);
  StatusView v;
  v.certs = {{"Server Certificate", "s.cer", cert_until(now + seconds(86400 * 12)), false},
             {"Client Certificate", "c.cer", cert_until(now + seconds(86400 * 31)), false},
             {"CA Certificate", "gone.cer", {}, true}};
  auto text = render_status(v, now);
  EXPECT_NE(text.find("  Server Certificate  : s.cer (expires in 12 days)\n"), std::string::npos) << text;
  EXPECT_NE(text.find("  Client Certificate  : c.cer\n"), std::string::npos) << text;
  EXPECT_NE(text.find("  CA Certificate      : gone.cer (missing)\n"), std::string::npos) << text;
  EXPECT_NE(text.find("WARNING: Server Certificate s.cer expires in 12 days"), std::string::npos) << text;
  auto warnings = expiry_warnings(v.certs, now);
  ASSERT_EQ(warnings.size(), 1u);
}

// An expired certificate is marked on its line; the trailing WARNING lines are
// for the ones about to expire only. The log's warnings name both.
TEST(StatusView, TheTrailingWarningsNameTheExpiringCertificatesNotTheExpiredOnes) {
  auto now = at(20000);
  StatusView v;
  v.certs = {{"Server Certificate", "s.cer", cert_until(now + seconds(86400 * 12)), false},
             {"Client Certificate", "old.cer", cert_until(now - seconds(86400 * 3)), false}};
  auto text = render_status(v, now);
  EXPECT_NE(text.find("  Client Certificate  : old.cer (expired)\n"), std::string::npos) << text;
  EXPECT_NE(text.find("WARNING: Server Certificate s.cer expires in 12 days"), std::string::npos) << text;
  EXPECT_EQ(text.find("WARNING: Client Certificate"), std::string::npos) << text;
  auto warnings = expiry_warnings(v.certs, now);
  ASSERT_EQ(warnings.size(), 2u);
  EXPECT_EQ(warnings[1], "Client Certificate old.cer has expired (3 days ago)");
}

// The peers check the server certificate against the address they dial: one that
// does not name this node's address is marked where the operator looks.
TEST(StatusView, AServerCertificateThatDoesNotNameThisNodeIsMarked) {
  auto now = at(20000);
  auto line = seed_certs(now, false)[1];
  line.unnamed_address = "10.106.85.75";
  EXPECT_EQ(certificate_marker(line, now), " (does not name 10.106.85.75)");

  pki::CertificateInfo c = cert_until(now + seconds(86400 * 300));
  c.subject.entries.push_back({"CN", "dbclusterserver"});
  EXPECT_FALSE(certificate_names(c, "10.106.85.75"));
  c.sans.push_back({pki::AltName::Kind::kIp, "10.106.85.73"});
  c.sans.push_back({pki::AltName::Kind::kIp, "10.106.85.75"});
  EXPECT_TRUE(certificate_names(c, "10.106.85.75"));
  EXPECT_FALSE(certificate_names(c, "10.106.85.74"));
  pki::CertificateInfo cn_only = cert_until(now);
  cn_only.subject.entries.push_back({"CN", "db1.example.com"});
  EXPECT_TRUE(certificate_names(cn_only, "db1.example.com"));
}

}  // namespace
}  // namespace convene::dbcluster
