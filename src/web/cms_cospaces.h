#pragma once
// The CMS API's coSpaces, read from and changed in the one store of meeting spaces
// (admin/callbridge_spaces.h, the same `callbridge space list` reads), so a space
// made here, by mmp or by an XMPP client shows at once in all three:
//   GET    /api/v1/coSpaces        <coSpaces total="N"> (offset, limit, filter)
//   POST   /api/v1/coSpaces        name and/or uri -> `callbridge space add`;
//                                  200 with Location: /api/v1/coSpaces/<id>
//   GET    /api/v1/coSpaces/<id>   one space (the id is its address, the part before @)
//   PUT    /api/v1/coSpaces/<id>   no parameter can be changed: a space's configured
//                                  name and owners are its owner's (XEP-0045 room
//                                  configuration); each given is 400 unrecognised
//   DELETE /api/v1/coSpaces/<id>   `callbridge space delete` (the DELETE is the yes)
// Bodies are application/x-www-form-urlencoded (else 415; an empty one is an empty
// form). A parameter Convene does not have (callId, passcode, ...) is 400
// <parameterError parameter="X" error="unrecognised"/>; a command's refusal carries
// mmp's message in `message`.
#include <string>

#include "web/http_message.h"

namespace convene::web {

class WebContext;

// `rest` is the path after /api/v1/ ("coSpaces" or "coSpaces/<id>", still
// percent-encoded); `who` goes in the audit line of a change.
HttpResponse handle_cospaces(WebContext& routes, const HttpRequest& request, const std::string& rest,
                             const std::string& who);

}  // namespace convene::web
