#include "pki/request_args.h"

#include <gtest/gtest.h>

namespace convene::pki {
namespace {

const std::vector<std::string> kKeys = {"CN", "OU", "O", "L", "ST", "C", "subjectAltName", "days"};

TEST(RequestArgs, CmsWordsBecomeASubjectInSeedOrder) {
  auto args = parse_arg_words({"dbclusterserver", "CN:db.example", "O:Glass", "c:in", "OU:AC", "ST:KA", "L:PLD",
                               "subjectAltName:db.example,10.106.85.73"},
                              kKeys, 1, 1);
  ASSERT_TRUE(args.ok()) << args.error().text();
  EXPECT_EQ(args->positional, std::vector<std::string>{"dbclusterserver"});
  auto request = request_from_args(*args);
  ASSERT_TRUE(request.ok()) << request.error().text();
  EXPECT_EQ(request->subject.to_string(), "C=IN, ST=KA, L=PLD, O=Glass, OU=AC, CN=db.example");
  EXPECT_EQ(to_string(request->sans), "DNS:db.example, IP Address:10.106.85.73");
}

TEST(RequestArgs, ValueMayContainColons) {
  auto args = parse_arg_words({"x", "subjectAltName:IP:fe80::1"}, kKeys, 1, 1);
  ASSERT_TRUE(args.ok());
  EXPECT_EQ(to_string(request_from_args(*args)->sans), "IP Address:fe80::1");
}

TEST(RequestArgs, Errors) {
  EXPECT_NE(parse_arg_words({"x", "CNN:a"}, kKeys, 1, 1).error().message.find("unknown argument 'CNN:'"), std::string::npos);
  EXPECT_NE(parse_arg_words({"x", "CN:a", "cn:b"}, kKeys, 1, 1).error().message.find("given twice"), std::string::npos);
  EXPECT_FALSE(parse_arg_words({"CN:a"}, kKeys, 1, 1).ok());
  EXPECT_FALSE(parse_arg_words({"x", "y"}, kKeys, 1, 1).ok());
  auto args = parse_arg_words({"x", "C:USA"}, kKeys, 1, 1);
  ASSERT_TRUE(args.ok());
  EXPECT_FALSE(request_from_args(*args).ok());
}

TEST(RequestArgs, Numbers) {
  auto args = parse_arg_words({"days:30", "start:-400"}, {"days", "start", "ca"}, 0, 0).value();
  EXPECT_EQ(integer_arg(args, "days", 365, 1, 36500).value(), 30);
  EXPECT_EQ(integer_arg(args, "start", 0, -36500, 36500).value(), -400);
  EXPECT_EQ(integer_arg(args, "other", 7, 1, 10).value(), 7);
  EXPECT_FALSE(integer_arg(parse_arg_words({"days:0"}, {"days"}, 0, 0).value(), "days", 365, 1, 36500).ok());
  EXPECT_FALSE(integer_arg(parse_arg_words({"days:3x"}, {"days"}, 0, 0).value(), "days", 365, 1, 36500).ok());
  EXPECT_EQ(integer_arg(parse_arg_words({"start:+5"}, {"start"}, 0, 0).value(), "start", 0, -9, 9).value(), 5);
  EXPECT_TRUE(yes_no_arg(parse_arg_words({"ca:YES"}, {"ca"}, 0, 0).value(), "ca", false).value());
  EXPECT_FALSE(yes_no_arg(parse_arg_words({"ca:maybe"}, {"ca"}, 0, 0).value(), "ca", false).ok());
}

}  // namespace
}  // namespace convene::pki
