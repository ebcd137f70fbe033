#pragma once
// The CMS REST API (/api/v1) for the objects Convene has, in CMS's shapes
// (cms_render.h):
//   GET /api/v1/system/status      this node: version, uptime, XMPP service, call bridge
//   GET /api/v1/callBridges        this node's call bridge, as `callbridge status` sees it
//   /api/v1/coSpaces[/<id>]        the meeting spaces: GET, POST, PUT, DELETE (web/cms_cospaces.h)
// Unknown objects answer 404 with <failureDetails><coSpaceDoesNotExist /></failureDetails>,
// bad query parameters 400 with <parameterError .../>.
#include "web/http_message.h"

namespace convene::web {

class WebContext;

// `request.path` starts with /api/v1/; the caller has checked who may ask.
HttpResponse handle_cms_api(WebContext& routes, const HttpRequest& request, const std::string& who);

}  // namespace convene::web
