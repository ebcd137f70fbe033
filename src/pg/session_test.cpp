// The libpq wrapper's pure parts, and the session's bounded retry against a
// loopback port where nothing listens (connection refused: no server needed). The store
// against a real database cluster is tests/e2e/test_callbridge_postgres.py.
#include "pg/session.h"

#include <gtest/gtest.h>

namespace convene::pg {
namespace {

TEST(PgFailure, ConnectionShutdownAndReadOnlyAreTransientSqlErrorsAreNot) {
  EXPECT_TRUE(failure_is_transient("", true));
  EXPECT_TRUE(failure_is_transient("", false));       // no answer at all
  EXPECT_TRUE(failure_is_transient("08006", false));  // connection_failure
  EXPECT_TRUE(failure_is_transient("57P01", false));  // admin_shutdown (pg_terminate_backend)
  EXPECT_TRUE(failure_is_transient("25006", false));  // read_only_sql_transaction: now a standby
  EXPECT_FALSE(failure_is_transient("42501", false));  // insufficient_privilege
  EXPECT_FALSE(failure_is_transient("23505", false));  // unique_violation
  EXPECT_FALSE(failure_is_transient("42P01", false));  // undefined_table
}

TEST(PgFailure, RefusedCredentialsArePermissionDeniedOtherConnectFailuresAreNot) {
  // libpq's texts as PostgreSQL 15 sends them (the server's FATAL line after libpq's prefix).
  EXPECT_EQ(connect_failure_code("connection to server at \"127.0.9.2\", port 5432 failed: FATAL:  certificate "
                                 "authentication failed for user \"convene_agent\""),
            ErrorCode::permission_denied);
  EXPECT_EQ(connect_failure_code("FATAL:  password authentication failed for user \"convene\""),
            ErrorCode::permission_denied);
  EXPECT_EQ(connect_failure_code("connection to server at \"127.0.9.2\", port 5432 failed: Connection refused"),
            ErrorCode::unknown);
  EXPECT_EQ(connect_failure_code(""), ErrorCode::unknown);
}

TEST(ConninfoHostCount, CountsTheHostsOfAMultiHostString) {
  EXPECT_EQ(*conninfo_host_count("host='127.0.1.1,127.0.1.2,127.0.1.3' port='5432' dbname='convene'"), 3);
  EXPECT_EQ(*conninfo_host_count("host=127.0.1.1 dbname=convene"), 1);
  auto bad = conninfo_host_count("host='unterminated");
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message.find("invalid PostgreSQL connection string"), std::string::npos);
  EXPECT_FALSE(conninfo_host_count("nonsense_keyword=1"));
}

TEST(PgSession, AnUnreachableDatabaseIsTriedABoundedNumberOfTimesReadingTheStringEachTime) {
  int reads = 0, works = 0;
  Session session(
      [&]() -> Result<std::string> {
        ++reads;
        return std::string("host=127.0.0.1 port=1 dbname=convene connect_timeout=2");
      },
      nullptr, {3, std::chrono::milliseconds(1), "spaces database", "callbridge"});
  auto st = session.run([&] {
    ++works;
    return ok_status();
  });
  ASSERT_FALSE(st);
  EXPECT_NE(st.error().message.find("no PostgreSQL master reachable"), std::string::npos) << st.error().message;
  EXPECT_EQ(reads, 3);
  EXPECT_EQ(works, 0);
  EXPECT_EQ(session.server(), "");
  EXPECT_EQ(session.hosts(), 1);
}

TEST(PgSession, AConnectionStringThatCannotBeReadIsTheError) {
  Session session([]() -> Result<std::string> { return make_error("cannot read the PostgreSQL connection file x"); },
                    nullptr, {2, std::chrono::milliseconds(1), "spaces database", "callbridge"});
  auto st = session.run([] { return ok_status(); });
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error().message, "cannot read the PostgreSQL connection file x");
}

}  // namespace
}  // namespace convene::pg
