#include "web/static_files.h"

#include <unistd.h>

#include <array>

#include "util/safe_files.h"

namespace convene::web {

namespace {

constexpr std::string_view kPrefix = "/meet/";

bool plain_file_name(std::string_view name) {
  if (name.empty() || name.front() == '.' || name.size() > 100) return false;
  for (char c : name) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '-' ||
              c == '_';
    if (!ok) return false;
  }
  return true;
}

bool ends_with(std::string_view s, std::string_view tail) {
  return s.size() >= tail.size() && s.substr(s.size() - tail.size()) == tail;
}

HttpResponse text(int status, std::string body) {
  return {status, "text/plain; charset=utf-8", std::move(body), {}};
}

}  // namespace

std::filesystem::path web_files_directory() {
  std::array<char, 4096> buf{};
  ssize_t n = ::readlink("/proc/self/exe", buf.data(), buf.size() - 1);
  std::filesystem::path exe = n > 0 ? std::filesystem::path(std::string(buf.data(), static_cast<size_t>(n)))
                                    : std::filesystem::path("/usr/bin/convened");
  return (exe.parent_path().parent_path() / "share" / "convene" / "web").lexically_normal();
}

std::optional<std::string> static_file_name(std::string_view path) {
  if (path.rfind(kPrefix, 0) != 0) return std::nullopt;
  std::string_view name = path.substr(kPrefix.size());
  if (name.empty()) return std::string("meet/index.html");
  if (!plain_file_name(name)) return std::nullopt;
  return "meet/" + std::string(name);
}

std::string static_content_type(std::string_view name) {
  if (ends_with(name, ".html")) return "text/html; charset=utf-8";
  if (ends_with(name, ".js")) return "text/javascript; charset=utf-8";
  if (ends_with(name, ".css")) return "text/css; charset=utf-8";
  if (ends_with(name, ".json") || ends_with(name, ".map")) return "application/json";
  if (ends_with(name, ".png")) return "image/png";
  if (ends_with(name, ".svg")) return "image/svg+xml";
  return "application/octet-stream";
}

bool is_static_path(std::string_view path) { return path == "/meet" || path.rfind(kPrefix, 0) == 0; }

HttpResponse serve_static_file(const std::filesystem::path& root, const HttpRequest& r) {
  if (r.method != "GET" && r.method != "HEAD") {
    HttpResponse out = text(405, "Only GET and HEAD are served here.\n");
    out.headers.push_back({"Allow", "GET, HEAD"});
    return out;
  }
  if (r.path == "/meet") {
    HttpResponse out = text(301, "");
    out.headers.push_back({"Location", "/meet/"});
    return out;
  }
  auto name = static_file_name(r.path);
  if (!name) return text(404, "No such file.\n");
  std::error_code ec;
  if (!std::filesystem::is_directory(root / "meet", ec))
    return text(503, "The meeting client's files are not installed on this node (looked in " + (root / "meet").string() +
                         ").\n  Build the tree after `npm ci` in web/ (scripts/install-deps.sh runs it), or install the "
                         "convene package.\n");
  auto content = read_regular_file(root / *name);
  if (!content) return text(404, "No such file.\n");
  HttpResponse out{200, static_content_type(*name), r.method == "HEAD" ? std::string() : std::move(*content), {}};
  // The page and the library change with the node's version: always ask again.
  out.headers.push_back({"Cache-Control", "no-cache"});
  out.headers.push_back({"X-Content-Type-Options", "nosniff"});
  if (ends_with(*name, ".html")) {
    // Scripts and styles only from this node; the XMPP connection may go to any
    // node of the cluster (the client moves to another when its node dies).
    out.headers.push_back({"Content-Security-Policy",
                           "default-src 'self'; connect-src 'self' wss:; img-src 'self' data:; frame-ancestors 'none'"});
  }
  return out;
}

}  // namespace convene::web
