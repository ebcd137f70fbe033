#include "protocol/admin_request.h"

#include <gtest/gtest.h>

namespace convene::protocol {
namespace {

TEST(AdminRequest, RunWithWords) {
  auto r = parse_admin_request({{"op", "run"}, {"argv", {"iface", "list"}}});
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->op, AdminRequest::Op::run);
  EXPECT_EQ(r->argv, (std::vector<std::string>{"iface", "list"}));
}

TEST(AdminRequest, Grammar) {
  auto r = parse_admin_request({{"op", "grammar"}});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->op, AdminRequest::Op::grammar);
}

TEST(AdminRequest, MalformedOnesAreRefused) {
  for (auto bad : {nlohmann::json::array(), nlohmann::json({{"op", 1}}), nlohmann::json({{"op", "rm"}}),
                   nlohmann::json({{"op", "run"}}), nlohmann::json({{"op", "run"}, {"argv", "iface"}}),
                   nlohmann::json({{"op", "run"}, {"argv", nlohmann::json::array()}}),
                   nlohmann::json({{"op", "run"}, {"argv", {"iface", 2}}})}) {
    auto r = parse_admin_request(bad);
    ASSERT_FALSE(r) << bad.dump();
    EXPECT_EQ(r.error().message, "malformed admin request");
  }
}

}  // namespace
}  // namespace convene::protocol
