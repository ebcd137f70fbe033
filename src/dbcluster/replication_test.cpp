#include "dbcluster/replication.h"

#include <gtest/gtest.h>

namespace convene::dbcluster {
namespace {

TlsFiles files() { return {"/n/server.key", "/n/server.crt", "/n/client.key", "/n/client.crt", "/n/ca.crt"}; }

TEST(Replication, PrimaryConninfoUsesMutualTlsAndNamesTheStandby) {
  auto s = primary_conninfo("127.0.1.1", "127.0.1.2", files());
  EXPECT_NE(s.find("host='127.0.1.1' port='5432' user='replicator'"), std::string::npos) << s;
  EXPECT_NE(s.find("sslmode='verify-full' sslcert='/n/client.crt' sslkey='/n/client.key' sslrootcert='/n/ca.crt'"),
            std::string::npos)
      << s;
  EXPECT_NE(s.find("application_name='127.0.1.2'"), std::string::npos) << s;
  EXPECT_EQ(s.find("dbname"), std::string::npos) << s;
}

TEST(Replication, RemoteConninfoForQueriesAndForBasebackup) {
  ConnSpec spec;
  spec.host = "10.0.0.1";
  auto q = remote_conninfo(spec, files());
  EXPECT_NE(q.find("dbname='postgres'"), std::string::npos) << q;
  // The agents' queries use their own role; only streaming and copying use replicator.
  EXPECT_NE(q.find("user='convene_agent'"), std::string::npos) << q;
  spec.replication = true;
  auto r = remote_conninfo(spec, files());
  EXPECT_NE(r.find("replication='true'"), std::string::npos) << r;
  EXPECT_NE(r.find("user='replicator'"), std::string::npos) << r;
  EXPECT_EQ(r.find("dbname"), std::string::npos) << r;
}

TEST(Replication, ApplicationConninfoListsEveryMemberAndFollowsTheMaster) {
  auto s = application_conninfo({"127.0.1.1", "127.0.1.2", "127.0.1.3"}, files());
  EXPECT_NE(s.find("host='127.0.1.1,127.0.1.2,127.0.1.3' port='5432' user='callbridge' dbname='convene'"),
            std::string::npos)
      << s;
  EXPECT_NE(s.find("sslmode='verify-full' sslcert='/n/client.crt' sslkey='/n/client.key' sslrootcert='/n/ca.crt'"),
            std::string::npos)
      << s;
  EXPECT_NE(s.find("target_session_attrs='read-write'"), std::string::npos) << s;
  EXPECT_NE(s.find("connect_timeout="), std::string::npos) << s;
  // README's writer settings: what bounds a writer's pause when the master's node drops off the network.
  EXPECT_NE(s.find("keepalives_idle='1' keepalives_interval='1' keepalives_count='2' tcp_user_timeout='1000'"),
            std::string::npos)
      << s;
  EXPECT_EQ(s.find("password"), std::string::npos) << s;
}

TEST(Replication, QuotingEscapesForLibpqAndConf) {
  EXPECT_EQ(conninfo_quote("a'b\\c"), "'a\\'b\\\\c'");
  EXPECT_EQ(conf_quote("x='y'"), "'x=''y'''");
}

// A value ending in a backslash used to escape the closing quote (the conf
// scanner reads \' as a quote), and a newline started a setting of its own.
TEST(Replication, ConfQuoteCannotBeBrokenOutOf) {
  EXPECT_EQ(conf_quote("a\\"), "'a\\\\'");
  EXPECT_EQ(conf_quote("a\\'\nssl = off"), "'a\\\\''\\012ssl = off'");
  EXPECT_EQ(conf_quote("\r\x01"), "'\\015\\001'");
  for (const std::string v : {"x\\", "x'\n#", "\\'\\'\n"}) {
    auto q = conf_quote(v);
    EXPECT_EQ(q.find('\n'), std::string::npos) << q;
  }
}

TEST(Replication, MemberAddressesAreAddressesOrHostNames) {
  for (const char* ok : {"10.106.85.73", "127.0.23.1", "fe80::1", "db1.example.com", "node-2"})
    EXPECT_TRUE(check_member_address(ok).ok()) << ok;
  for (const char* bad : {"", "127.0.0.1'", "127.0.0.1\nssl=off", "a b", "a\\", "\"x\"", "-a", "a.", "a..b", "x,y",
                          "a-.b"}) {
    auto st = check_member_address(bad);
    ASSERT_FALSE(st.ok()) << bad;
    EXPECT_NE(st.error().message.find("not a usable database cluster address"), std::string::npos);
  }
}

TEST(Replication, IdentMapNamesTheClientCertificateOnly) {
  auto m = ident_map("dbclusterclient");
  EXPECT_NE(m.find("dbcluster \"dbclusterclient\" replicator\n"), std::string::npos) << m;
  EXPECT_NE(m.find("dbcluster \"dbclusterclient\" convene_agent\n"), std::string::npos) << m;
  EXPECT_NE(m.find("dbcluster \"dbclusterclient\" callbridge\n"), std::string::npos) << m;
  EXPECT_EQ(m.find("/^"), std::string::npos) << m;  // no regular expression admits everyone
  EXPECT_TRUE(check_certificate_name("VCSmRA.S.com").ok());
  EXPECT_FALSE(check_certificate_name("").ok());
  EXPECT_FALSE(check_certificate_name("a\"b").ok());
  EXPECT_FALSE(check_certificate_name("x\ny").ok());
  EXPECT_FALSE(check_certificate_name("/^.*$").ok());
}

TEST(Replication, SyncNamesExcludeThePrimaryAndAreEmptyAlone) {
  EXPECT_EQ(synchronous_standby_names({"127.0.1.1"}, "127.0.1.1"), "");
  EXPECT_EQ(synchronous_standby_names({"127.0.1.1", "127.0.1.2", "127.0.1.3"}, "127.0.1.1"),
            "ANY 1 (\"127.0.1.2\", \"127.0.1.3\")");
  EXPECT_EQ(synchronous_standby_names({"a", "b"}, "a"), "ANY 1 (\"b\")");
  // Five members: the master and two standbys are a majority.
  EXPECT_EQ(synchronous_standby_names({"a", "b", "c", "d", "e"}, "a"), "ANY 2 (\"b\", \"c\", \"d\", \"e\")");
}

}  // namespace
}  // namespace convene::dbcluster
