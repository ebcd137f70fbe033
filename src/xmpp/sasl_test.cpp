#include "xmpp/sasl.h"

#include <gtest/gtest.h>

#include "xmpp/memory_store_for_tests.h"

namespace convene::xmpp {
namespace {

std::string plain(std::string_view user, std::string_view password) {
  std::string m;
  m += '\0';
  m += user;
  m += '\0';
  m += password;
  return m;
}

// How many PBKDF2 runs one PLAIN attempt costs.
std::uint64_t pbkdf2_cost(SaslExchange& sasl, std::string_view user, std::string_view password,
                          SaslStep::Kind expect) {
  auto before = pbkdf2_runs();
  auto step = sasl.start("PLAIN", plain(user, password));
  EXPECT_EQ(step.kind, expect) << user;
  return pbkdf2_runs() - before;
}

TEST(Sasl, PlainRefusalCostsTheSameForUnknownKnownAndCachedUsers) {
  testing::MemoryStore store;
  store.add_user("alice", "correct horse");
  PlainVerifierCache cache;
  SaslExchange sasl(store, true, &cache);
  using K = SaslStep::Kind;
  const auto unknown = pbkdf2_cost(sasl, "nobody", "guess", K::failure);
  EXPECT_EQ(unknown, 1u);  // the decoy keys' PBKDF2, as for a real account
  EXPECT_EQ(pbkdf2_cost(sasl, "alice", "guess", K::failure), unknown);
  EXPECT_EQ(pbkdf2_cost(sasl, "alice", "correct horse", K::success), 1u);
  // Cached now: the right password costs no PBKDF2 (the login fast path) ...
  EXPECT_EQ(pbkdf2_cost(sasl, "alice", "correct horse", K::success), 0u);
  // ... but a wrong one still costs what an unknown user's does.
  EXPECT_EQ(pbkdf2_cost(sasl, "alice", "guess", K::failure), unknown);
  EXPECT_EQ(pbkdf2_cost(sasl, "nobody", "guess", K::failure), unknown);
}

TEST(Sasl, FailedPasswordNamesTheAccountForTheThrottle) {
  testing::MemoryStore store;
  store.add_user("alice", "pw");
  SaslExchange sasl(store, true);
  auto step = sasl.start("PLAIN", plain("Alice", "nope"));
  EXPECT_EQ(step.kind, SaslStep::Kind::failure);
  EXPECT_EQ(step.condition, SaslCondition::not_authorized);
  EXPECT_EQ(step.user, "alice");
}

TEST(Sasl, LookAlikeUserNamesLogIntoTheOneAccount) {
  testing::MemoryStore store;
  store.add_user("alice", "pw");
  SaslExchange sasl(store, true);
  // Fullwidth "ａｌｉｃｅ" is nodeprepped to "alice".
  auto step = sasl.start("PLAIN", plain("\xEF\xBD\x81\xEF\xBD\x8C\xEF\xBD\x89\xEF\xBD\x83\xEF\xBD\x85", "pw"));
  EXPECT_EQ(step.kind, SaslStep::Kind::success);
  EXPECT_EQ(step.user, "alice");
}

}  // namespace
}  // namespace convene::xmpp
