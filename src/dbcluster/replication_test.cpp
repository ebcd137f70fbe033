#include "dbcluster/replication.h"

#include <gtest/gtest.h>

namespace convene::dbcluster {
namespace {

TlsFiles files() { return {"/n/server.key", "/n/server.crt", "/n/client.key", "/n/client.crt", "/n/ca.crt"}; }

TEST(Replication, PrimaryConninfoUsesMutualTlsAndNamesTheStandby) {
  auto s = primary_conninfo("127.0.1.1", "127.0.1.2", files());
  EXPECT_NE(s.find("host='127.0.1.1' port='5432' user='replicator'"), std::string::npos) << s;
  EXPECT_NE(s.find("sslmode='verify-ca' sslcert='/n/client.crt' sslkey='/n/client.key' sslrootcert='/n/ca.crt'"),
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
  spec.replication = true;
  auto r = remote_conninfo(spec, files());
  EXPECT_NE(r.find("replication='true'"), std::string::npos) << r;
  EXPECT_EQ(r.find("dbname"), std::string::npos) << r;
}

TEST(Replication, ApplicationConninfoListsEveryMemberAndFollowsTheMaster) {
  auto s = application_conninfo({"127.0.1.1", "127.0.1.2", "127.0.1.3"}, files());
  EXPECT_NE(s.find("host='127.0.1.1,127.0.1.2,127.0.1.3' port='5432' user='callbridge' dbname='convene'"),
            std::string::npos)
      << s;
  EXPECT_NE(s.find("sslmode='verify-ca' sslcert='/n/client.crt' sslkey='/n/client.key' sslrootcert='/n/ca.crt'"),
            std::string::npos)
      << s;
  EXPECT_NE(s.find("target_session_attrs='read-write'"), std::string::npos) << s;
  EXPECT_NE(s.find("connect_timeout="), std::string::npos) << s;
  EXPECT_EQ(s.find("password"), std::string::npos) << s;
}

TEST(Replication, QuotingEscapesForLibpqAndConf) {
  EXPECT_EQ(conninfo_quote("a'b\\c"), "'a\\'b\\\\c'");
  EXPECT_EQ(conf_quote("x='y'"), "'x=''y'''");
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
