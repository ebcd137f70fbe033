#include "shell/completion.h"

#include <gtest/gtest.h>

#include <fstream>

#include "util/testing.h"

namespace convene::shell {
namespace {

Grammar sample() {
  return Grammar::from_json(nlohmann::json::parse(R"([
    {"words":["pki","inspect"],"usage":"<file>","help":""},
    {"words":["pki","verify"],"usage":"<cert> [<ca-bundle>]","help":""},
    {"words":["pki","csr"],"usage":"<basename> [CN:<name>]","help":""},
    {"words":["xmpp","plaintext"],"usage":"on|off","help":""},
    {"words":["xmpp","listen"],"usage":"<iface> [<iface>...]","help":""}
  ])"));
}

std::vector<std::string> files() { return {"db.crt", "db.key", "xmpp.crt"}; }

TEST(Completion, PlaceholdersThatNameAFile) {
  for (const char* yes : {"<file>", "<cert>", "[<ca-bundle>]", "<csr-file>", "<server-key>", "<ca-cert>"})
    EXPECT_TRUE(names_a_file(yes)) << yes;
  for (const char* no : {"<basename>", "<name>", "on|off", "[CN:<name>]", "<iface>...", "force", ""})
    EXPECT_FALSE(names_a_file(no)) << no;
}

TEST(Completion, PlaceholderOfEachArgument) {
  EXPECT_EQ(placeholder_at("<cert> [<ca-bundle>]", 0), "<cert>");
  EXPECT_EQ(placeholder_at("<cert> [<ca-bundle>]", 1), "[<ca-bundle>]");
  EXPECT_EQ(placeholder_at("<cert> [<ca-bundle>]", 2), "");
  EXPECT_EQ(placeholder_at("<iface> [<iface>...]", 5), "[<iface>...]");
}

TEST(Completion, FileNamesWhereTheCommandTakesAFile) {
  auto g = sample();
  EXPECT_EQ(complete_line(g, {"pki", "inspect"}, "db", files), (std::vector<std::string>{"db.crt", "db.key"}));
  EXPECT_EQ(complete_line(g, {"pki", "verify", "db.crt"}, "x", files), (std::vector<std::string>{"xmpp.crt"}));
  EXPECT_TRUE(complete_line(g, {"pki", "verify", "db.crt", "xmpp.crt"}, "", files).empty());
  EXPECT_TRUE(complete_line(g, {"pki", "csr"}, "", files).empty());
  EXPECT_TRUE(complete_line(g, {"xmpp", "plaintext"}, "", files).empty());
}

TEST(Completion, CommandWordsFirst) {
  auto g = sample();
  EXPECT_EQ(complete_line(g, {"pki"}, "i", files), (std::vector<std::string>{"inspect"}));
  EXPECT_EQ(complete_line(g, {}, "x", files), (std::vector<std::string>{"xmpp"}));
}

TEST(Completion, FileAreaNamesAreTheRegularFilesSorted) {
  testing::TempDir temp;
  auto dir = temp.path();
  std::filesystem::create_directories(dir / "files" / "subdir");
  std::ofstream(dir / "files" / "b.key") << "x";
  std::ofstream(dir / "files" / "a.crt") << "x";
  EXPECT_EQ(file_area_names(dir), (std::vector<std::string>{"a.crt", "b.key"}));
  EXPECT_TRUE(file_area_names(dir / "missing").empty());
}

}  // namespace
}  // namespace convene::shell
