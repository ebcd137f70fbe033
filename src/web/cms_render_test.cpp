#include "web/cms_render.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace convene::web {

namespace {
std::vector<CmsObject> three() {
  return {{"alpha", {{"name", "alpha"}}}, {"beta", {{"name", "Beta <&>"}}}, {"gamma", {{"name", "gamma"}}}};
}
}  // namespace

TEST(CmsRender, ListInCmsShapeWithTotalAndEscaping) {
  std::string xml = render_list(Format::xml, "coSpaces", "coSpace", 3, three());
  EXPECT_NE(xml.find("<coSpaces total=\"3\">"), std::string::npos) << xml;
  EXPECT_NE(xml.find("<coSpace id=\"beta\"><name>Beta &lt;&amp;&gt;</name></coSpace>"), std::string::npos) << xml;
}

TEST(CmsRender, JsonMirrorsTheXml) {
  auto j = nlohmann::json::parse(render_list(Format::json, "coSpaces", "coSpace", 3, three()));
  EXPECT_EQ(j["coSpaces"]["total"], 3);
  EXPECT_EQ(j["coSpaces"]["coSpace"][1]["id"], "beta");
  EXPECT_EQ(j["coSpaces"]["coSpace"][1]["name"], "Beta <&>");
}

TEST(CmsRender, FailureDetails) {
  EXPECT_EQ(render_failure(Format::xml, "coSpaceDoesNotExist"),
            "<?xml version=\"1.0\"?><failureDetails><coSpaceDoesNotExist /></failureDetails>\n");
  auto j = nlohmann::json::parse(render_failure(Format::json, "parameterError", {{"parameter", "limit"}}));
  EXPECT_EQ(j["failureDetails"]["parameterError"]["parameter"], "limit");
}

TEST(CmsRender, FormatFollowsAccept) {
  EXPECT_EQ(format_for("application/json"), Format::json);
  EXPECT_EQ(format_for("text/xml"), Format::xml);
  EXPECT_EQ(format_for(""), Format::xml);
}

TEST(Pagination, OffsetLimitAndTotal) {
  auto page = parse_page_request({{"offset", "1"}, {"limit", "1"}});
  ASSERT_TRUE(page);
  size_t total = 0;
  auto got = select_page(three(), *page, total);
  EXPECT_EQ(total, 3u);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].id, "beta");
}

TEST(Pagination, FilterCountsOnlyMatches) {
  auto page = parse_page_request({{"filter", "AMM"}});
  ASSERT_TRUE(page);
  size_t total = 0;
  auto got = select_page(three(), *page, total);
  EXPECT_EQ(total, 1u);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].id, "gamma");
}

TEST(Pagination, OffsetPastTheEndIsAnEmptyPage) {
  size_t total = 0;
  EXPECT_TRUE(select_page(three(), {10, 0, ""}, total).empty());
  EXPECT_EQ(total, 3u);
}

TEST(Pagination, BadNumbersNameTheParameter) {
  auto bad = parse_page_request({{"limit", "-1"}});
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().message, "limit");
  EXPECT_FALSE(parse_page_request({{"offset", "x"}}));
  EXPECT_FALSE(parse_page_request({{"limit", std::to_string(kMaxPageLimit + 1)}}));
}

}  // namespace convene::web
