#pragma once
// Who may do what over HTTPS, and which part answers: every request of the web
// admin comes here (on the listener's thread).
//   /api/v1/...  HTTP Basic (roles admin and api; audit may only GET) -> cms_api.h
//   /metrics     HTTP Basic (any role)                                -> metrics.h
//   /meet, /meet/...: the meeting client's files, no session      -> static_files.h
//   everything else: the pages, with a session cookie and CSRF tokens -> web_pages.h
// A body over kMaxBody is refused (413) before anything else looks at it.
#include <filesystem>
#include <memory>

#include "web/http_message.h"
#include "web/web_context.h"

namespace convene::web {

class WebSessions;

// Largest request body handled; larger ones get 413 and change nothing.
inline constexpr size_t kMaxBody = 64 * 1024;

class WebRoutes {
 public:
  WebRoutes(Daemon& daemon, const CommandRegistry& registry);
  ~WebRoutes();
  HttpResponse handle(const HttpRequest& request);

 private:
  WebContext context_;
  std::unique_ptr<WebSessions> sessions_;
  std::filesystem::path web_files_;  // the meeting client's tree (static_files.h)
};

}  // namespace convene::web
