#include "admin/manual_pages.h"

#include <gtest/gtest.h>

namespace convene {
namespace {

CommandRegistry sample() {
  CommandRegistry r;
  r.add({{"pki", "inspect"}, "<file>", "show a PEM file", 1, 1, {}});
  r.add({{"xmpp", "callbridge", "add-secret"}, "<name>", "a secret", 1, 1, {}});
  r.add({{"callbridge", "status"}, "", "its status", 0, 0, {}});
  return r;
}

TEST(ManualPages, EveryPageRenders) {
  auto r = sample();
  for (auto& name : manual_page_names()) {
    auto page = render_manual_page(name, r);
    ASSERT_TRUE(page) << name;
    EXPECT_NE(page->find(".SH COMMANDS"), std::string::npos) << name;
  }
  EXPECT_FALSE(render_manual_page("nonesuch", r));
}

TEST(ManualPages, MmpListsEveryRegisteredCommandWithItsArguments) {
  auto page = *render_manual_page("mmp", sample());
  EXPECT_NE(page.find(".TP\n\\fBpki inspect\\fR \\fI<file>\\fR\nshow a PEM file\n"), std::string::npos) << page;
  EXPECT_NE(page.find("\\fBxmpp callbridge add\\-secret\\fR"), std::string::npos) << page;
  EXPECT_NE(page.find(".TP\n\\fBcallbridge status\\fR\nits status\n"), std::string::npos) << page;
}

TEST(ManualPages, CallbridgePageListsOnlyTheCallbridgeNoun) {
  auto page = *render_manual_page("convene-callbridge", sample());
  EXPECT_NE(page.find("\\fBcallbridge status\\fR"), std::string::npos);
  EXPECT_EQ(page.find("\\fBpki inspect\\fR"), std::string::npos);
}

TEST(ManualPages, RoffEscapesWhatRoffWouldInterpret) {
  EXPECT_EQ(roff_escape("a-b\\c"), "a\\-b\\ec");
  EXPECT_EQ(roff_escape(".dot"), "\\&.dot");
  EXPECT_EQ(roff_escape("'quote"), "\\&'quote");
}

}  // namespace
}  // namespace convene
