#include "pki/key.h"

#include <gtest/gtest.h>

#include "pki/pem.h"
#include "pki/pki_test_support.h"
#include "util/files.h"
#include "util/testing.h"

namespace convene::pki {
namespace {

TEST(Key, EcKeyInfo) {
  auto key = generate_key(testing::fast_key());
  ASSERT_TRUE(key.ok());
  auto info = key_info(key->get());
  EXPECT_EQ(info.summary(), "EC 256 bit (prime256v1)");
  EXPECT_EQ(info.algorithm, "id-ecPublicKey");
}

TEST(Key, RefusesWeakRsa) { EXPECT_FALSE(generate_key({KeySpec::Type::kRsa, 1024, ""}).ok()); }

TEST(Key, MatchAndMismatch) {
  auto root = testing::make_root("Root");
  auto leaf = testing::issue(root, "leaf");
  EXPECT_TRUE(check_key_cert_pair(leaf.key.get(), leaf.cert.get()).ok());
  auto wrong = check_key_cert_pair(root.key.get(), leaf.cert.get());
  ASSERT_FALSE(wrong.ok());
  EXPECT_NE(wrong.error().message.find("does not match"), std::string::npos);
  EXPECT_NE(wrong.error().message.find("CN=leaf"), std::string::npos);
}

TEST(Key, FileCheckUsesTheLeafOfABundle) {
  convene::testing::TempDir dir;
  auto root = testing::make_root("Root");
  auto leaf = testing::issue(root, "leaf");
  ASSERT_TRUE(write_file_atomic(dir / "leaf.key", private_key_pem(leaf.key.get()), 0600).ok());
  ASSERT_TRUE(write_file_atomic(dir / "root.key", private_key_pem(root.key.get()), 0600).ok());
  ASSERT_TRUE(write_file_atomic(dir / "chain.pem", certificate_pem(leaf.cert.get()) + certificate_pem(root.cert.get())).ok());
  EXPECT_TRUE(check_key_cert_files(dir / "leaf.key", dir / "chain.pem").ok());
  auto st = check_key_cert_files(dir / "root.key", dir / "chain.pem");
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.error().message.find("'root.key' does not match certificate 'chain.pem'"), std::string::npos);
  EXPECT_FALSE(check_key_cert_files(dir / "chain.pem", dir / "chain.pem").ok());  // not a key
}

}  // namespace
}  // namespace convene::pki
