#include "web/static_files.h"

#include <gtest/gtest.h>

#include <fstream>

#include "util/testing.h"

namespace convene::web {

TEST(StaticFiles, NamesOnlyPlainFilesOfTheMeetingClient) {
  EXPECT_EQ(static_file_name("/meet/"), "meet/index.html");
  EXPECT_EQ(static_file_name("/meet/meet.js"), "meet/meet.js");
  EXPECT_EQ(static_file_name("/meet/xmpp.min.js"), "meet/xmpp.min.js");
  EXPECT_FALSE(static_file_name("/meet/../config.json"));
  EXPECT_FALSE(static_file_name("/meet/..%2fconfig.json"));
  EXPECT_FALSE(static_file_name("/meet/.hidden"));
  EXPECT_FALSE(static_file_name("/meet/a/b.js"));
  EXPECT_FALSE(static_file_name("/meeting/x.js"));
  EXPECT_FALSE(static_file_name("/"));
}

TEST(StaticFiles, MediaTypesByExtension) {
  EXPECT_EQ(static_content_type("meet/index.html"), "text/html; charset=utf-8");
  EXPECT_EQ(static_content_type("meet/meet.js"), "text/javascript; charset=utf-8");
  EXPECT_EQ(static_content_type("meet/meet.css"), "text/css; charset=utf-8");
  EXPECT_EQ(static_content_type("meet/blob"), "application/octet-stream");
}

TEST(StaticFiles, ServesRedirectsAndRefuses) {
  testing::TempDir tmp;
  const std::filesystem::path& dir = tmp.path();
  std::filesystem::create_directories(dir / "meet");
  std::ofstream(dir / "meet" / "index.html") << "<p>hello</p>";
  std::ofstream(dir / "secret.txt") << "no";

  HttpRequest get{"GET", "/meet/", "", {}, "", "127.0.0.1"};
  auto page = serve_static_file(dir, get);
  EXPECT_EQ(page.status, 200);
  EXPECT_EQ(page.body, "<p>hello</p>");
  EXPECT_EQ(page.content_type, "text/html; charset=utf-8");

  get.path = "/meet";
  auto moved = serve_static_file(dir, get);
  EXPECT_EQ(moved.status, 301);
  ASSERT_FALSE(moved.headers.empty());
  EXPECT_EQ(moved.headers[0].second, "/meet/");

  get.path = "/meet/../secret.txt";
  EXPECT_EQ(serve_static_file(dir, get).status, 404);
  get.path = "/meet/missing.js";
  EXPECT_EQ(serve_static_file(dir, get).status, 404);

  HttpRequest post{"POST", "/meet/", "", {}, "", "127.0.0.1"};
  EXPECT_EQ(serve_static_file(dir, post).status, 405);

  get.path = "/meet/";
  auto absent = serve_static_file(dir / "nowhere", get);
  EXPECT_EQ(absent.status, 503);
  EXPECT_NE(absent.body.find("not installed"), std::string::npos);
}

}  // namespace convene::web
