#include "web/admin_users.h"

#include <gtest/gtest.h>

#include "util/testing.h"

namespace convene::web {

TEST(AdminUsers, AddVerifyPasswdDel) {
  testing::TempDir dir;
  auto config = ConfigStore::open(dir.path() / "config.json");
  ASSERT_TRUE(config);
  AdminUsers users(**config);
  ASSERT_TRUE(users.add("alice", Role::admin, "correct horse"));
  EXPECT_FALSE(users.add("alice", Role::api, "another pass"));
  auto ok = users.verify("alice", "correct horse");
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->role, Role::admin);
  EXPECT_FALSE(users.verify("alice", "wrong horse"));
  EXPECT_FALSE(users.verify("bob", "correct horse"));
  ASSERT_TRUE(users.set_password("alice", "battery staple"));
  EXPECT_FALSE(users.verify("alice", "correct horse"));
  EXPECT_TRUE(users.verify("alice", "battery staple"));
  ASSERT_TRUE(users.remove("alice"));
  EXPECT_TRUE(users.list().empty());
  EXPECT_FALSE(users.remove("alice"));
}

TEST(AdminUsers, PasswordIsNotStored) {
  testing::TempDir dir;
  auto config = ConfigStore::open(dir.path() / "config.json");
  ASSERT_TRUE(config);
  AdminUsers users(**config);
  ASSERT_TRUE(users.add("alice", Role::audit, "correct horse"));
  EXPECT_EQ((*config)->section("webadmin_users").dump().find("correct horse"), std::string::npos);
}

TEST(AdminUsers, ChecksNamesRolesAndPasswords) {
  EXPECT_TRUE(check_user_name("ops-1.admin"));
  EXPECT_FALSE(check_user_name("Alice"));
  EXPECT_FALSE(check_user_name("-x"));
  EXPECT_FALSE(check_user_name(std::string(33, 'a')));
  EXPECT_FALSE(parse_role("root"));
  EXPECT_FALSE(check_admin_password("short"));
  EXPECT_FALSE(check_admin_password("has\ttab chars"));
}

}  // namespace convene::web
