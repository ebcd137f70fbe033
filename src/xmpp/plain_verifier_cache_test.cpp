#include "xmpp/plain_verifier_cache.h"

#include <gtest/gtest.h>

#include "xmpp_core/scram.h"

namespace convene::xmpp {
namespace {

TEST(PlainVerifierCache, RemembersTheRightPasswordAndFollowsNewKeys) {
  auto creds = make_credentials(ScramHash::sha256, "pencil", 4096);
  ASSERT_TRUE(creds);
  PlainVerifierCache cache;
  EXPECT_FALSE(cache.verify("user", *creds, "wrong"));
  EXPECT_TRUE(cache.verify("user", *creds, "pencil"));   // PBKDF2, then cached
  EXPECT_TRUE(cache.verify("user", *creds, "pencil"));   // from the cache
  auto before = pbkdf2_runs();
  EXPECT_FALSE(cache.verify("user", *creds, "pencil2"));  // cached keys: a wrong password ...
  EXPECT_EQ(pbkdf2_runs(), before + 1);  // ... costs a PBKDF2 like any refusal (no fast "no")
  // The password changes: new salt and keys; the old password no longer works.
  auto changed = make_credentials(ScramHash::sha256, "newpass", 4096);
  ASSERT_TRUE(changed);
  EXPECT_FALSE(cache.verify("user", *changed, "pencil"));
  EXPECT_TRUE(cache.verify("user", *changed, "newpass"));
  EXPECT_FALSE(cache.verify("other", *changed, "pencil"));
}

}  // namespace
}  // namespace convene::xmpp
