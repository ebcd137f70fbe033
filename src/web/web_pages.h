#pragma once
// The web admin's pages, rendered on the server (HTML, a few lines of JavaScript
// for the refresh): Login, Status, Configuration > General, Spaces, Users, Logs.
// Every page shows what the command layer says (the same commands as mmp, run
// for the logged-in account); every change is a POST with the session's CSRF token
// and goes through the same command, checks and messages as at the mmp prompt.
// Roles: admin reads and changes; audit reads; api has no pages.
#include "web/http_message.h"

namespace convene::web {

class WebContext;
class WebSessions;

HttpResponse handle_page(WebContext& routes, WebSessions& sessions, const HttpRequest& request);

}  // namespace convene::web
