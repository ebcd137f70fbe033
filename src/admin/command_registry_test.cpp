#include "admin/command_registry.h"

#include <gtest/gtest.h>

namespace convene {
namespace {

CommandRegistry sample() {
  CommandRegistry r;
  auto ok = [](CommandRequest&) { return ok_status(); };
  r.add({{"backup", "snapshot"}, "<name>", "save", 1, 1, ok});
  r.add({{"backup", "rollback"}, "<name>", "restore", 1, 1, ok});
  r.add({{"backup", "list"}, "", "list", 0, 0, ok});
  r.add({{"xmpp", "cluster", "join"}, "<node>", "join", 1, 1, ok});
  r.add({{"xmpp", "listen"}, "<iface> [<iface>...]", "listen", 1, kAnyNumber, ok});
  return r;
}

TEST(CommandRegistry, MatchesLongestCommandAndSplitsArguments) {
  auto r = sample();
  auto m = r.match({"xmpp", "cluster", "join", "127.0.1.1"});
  ASSERT_TRUE(m);
  EXPECT_EQ(m->spec->words, (std::vector<std::string>{"xmpp", "cluster", "join"}));
  EXPECT_EQ(m->args, (std::vector<std::string>{"127.0.1.1"}));
  auto many = r.match({"xmpp", "listen", "a", "b", "c"});
  ASSERT_TRUE(many);
  EXPECT_EQ(many->args.size(), 3u);
}

TEST(CommandRegistry, WrongArgumentCountGivesTheSeedsUsageBlock) {
  auto r = sample();
  auto m = r.match({"backup", "snapshot"});
  ASSERT_FALSE(m);
  EXPECT_EQ(m.error().hint, "Usage:\n  backup snapshot <name>");
}

TEST(CommandRegistry, NounWithoutVerbListsItsCommands) {
  auto r = sample();
  auto m = r.match({"backup"});
  ASSERT_FALSE(m);
  EXPECT_EQ(m.error().message, "incomplete command 'backup'");
  EXPECT_EQ(m.error().hint,
            "Usage:\n  backup snapshot <name>\n  backup rollback <name>\n  backup list");
}

TEST(CommandRegistry, MistypedCommandSuggestsTheNearestOne) {
  auto r = sample();
  auto m = r.match({"backup", "snapshto", "x"});
  ASSERT_FALSE(m);
  EXPECT_EQ(m.error().message, "unknown command 'backup snapshto x'");
  EXPECT_NE(m.error().hint.find("Did you mean 'backup snapshot'?"), std::string::npos);
  auto noun = r.match({"bakcup", "list"});
  ASSERT_FALSE(noun);
  EXPECT_NE(noun.error().hint.find("Did you mean 'backup list'?"), std::string::npos);
}

TEST(CommandRegistry, NoSuggestionForSomethingFarAway) {
  auto r = sample();
  auto m = r.match({"reboot", "everything", "now"});
  ASSERT_FALSE(m);
  EXPECT_EQ(m.error().hint.find("Did you mean"), std::string::npos);
}

}  // namespace
}  // namespace convene
