#pragma once
// The CMS REST API (/api/v1) for the objects Convene has, in CMS's shapes
// (cms_render.h):
//   GET /api/v1/system/status      this node: version, uptime, XMPP service, call bridge
//   GET /api/v1/callBridges        this node's call bridge, as `callbridge status` sees it
//   GET /api/v1/coSpaces           the meeting spaces the call bridge reports (offset, limit, filter)
//   GET /api/v1/coSpaces/<id>      one of them (the id is the space's name)
// Unknown objects answer 404 with <failureDetails><coSpaceDoesNotExist /></failureDetails>,
// bad query parameters 400 with <parameterError .../>.
#include "web/http_message.h"

namespace convene::web {

class WebContext;

// `request.path` starts with /api/v1/; the caller has checked who may ask.
HttpResponse handle_cms_api(WebContext& routes, const HttpRequest& request, const std::string& who);

}  // namespace convene::web
