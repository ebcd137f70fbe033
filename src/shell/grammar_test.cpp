#include "shell/grammar.h"

#include <gtest/gtest.h>

namespace convene::shell {
namespace {

Grammar sample() {
  return Grammar::from_json(nlohmann::json::parse(R"([
    {"words":["pki","csr"],"usage":"<basename> [CN:<name>]","help":"new key and CSR"},
    {"words":["pki","list"],"usage":"","help":"list files"},
    {"words":["xmpp","cluster","status"],"usage":"","help":"cluster state"},
    {"words":["xmpp","cluster","join"],"usage":"<node>","help":"join"},
    {"words":["xmpp","enable"],"usage":"","help":"start"}
  ])"));
}

TEST(Grammar, CompletesEachLevel) {
  auto g = sample();
  EXPECT_EQ(g.completions({}, "x"), (std::vector<std::string>{"xmpp"}));
  EXPECT_EQ(g.completions({}, ""), (std::vector<std::string>{"help", "pki", "xmpp"}));
  EXPECT_EQ(g.completions({"xmpp"}, ""), (std::vector<std::string>{"cluster", "enable"}));
  EXPECT_EQ(g.completions({"xmpp", "cluster"}, "s"), (std::vector<std::string>{"status"}));
  EXPECT_EQ(g.completions({"help", "xmpp"}, "c"), (std::vector<std::string>{"cluster"}));
  EXPECT_TRUE(g.completions({"pki", "list"}, "").empty());
}

TEST(Grammar, HelpForANounListsUsageAndHelp) {
  auto g = sample();
  EXPECT_EQ(g.help({"pki"}),
            "Usage:\n"
            "  pki csr <basename> [CN:<name>]  new key and CSR\n"
            "  pki list                        list files");
  EXPECT_NE(g.help({}).find("xmpp cluster|enable"), std::string::npos);
  EXPECT_NE(g.help({"nothing"}).find("No help for 'nothing'"), std::string::npos);
}

}  // namespace
}  // namespace convene::shell
