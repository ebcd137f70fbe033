#pragma once
// application/x-www-form-urlencoded bodies and query strings (the CMS API's POST
// and PUT bodies, offset/limit/filter). Pure.
#include <map>
#include <string>

#include "util/result.h"

namespace convene::web {

// "%41b+c" -> "Ab c"; an error for a '%' not followed by two hex digits.
Result<std::string> percent_decode(const std::string& text);

// "name=a+b&uri=x" -> {name: "a b", uri: "x"}. A repeated name is an error (which
// one was meant?), so is bad percent-encoding.
Result<std::map<std::string, std::string>> decode_form(const std::string& text);

// The media type of a Content-Type value, lower case, without parameters:
// "Application/X-WWW-Form-Urlencoded; charset=utf-8" -> "application/x-www-form-urlencoded".
std::string media_type(const std::string& content_type);

}  // namespace convene::web
