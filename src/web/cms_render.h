#pragma once
// The CMS API's shapes for the objects Convene has: a list
//   <coSpaces total="N"><coSpace id="ID"><name>..</name></coSpace>...</coSpaces>
// one object
//   <coSpace id="ID"><name>..</name>...</coSpace>
// and a failure
//   <failureDetails><coSpaceDoesNotExist /></failureDetails>
// in XML (CMS's form) or, on Accept: application/json, the same as JSON
//   {"coSpaces": {"total": N, "coSpace": [{"id": "ID", "name": ".."}]}}.
// Offset, limit and filter select a page of a list (CMS's query parameters). Pure.
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "util/result.h"

namespace convene::web {

struct CmsObject {
  std::string id;  // empty: no id attribute (system/status)
  std::vector<std::pair<std::string, std::string>> fields;  // element name, text
};

enum class Format { xml, json };
// JSON when the Accept header asks for application/json, XML otherwise.
Format format_for(const std::string& accept);
std::string content_type_of(Format format);

std::string xml_escape(const std::string& text);

// `list_tag` "coSpaces", `item_tag` "coSpace"; `total` counts before the page was cut.
std::string render_list(Format f, const std::string& list_tag, const std::string& item_tag, size_t total,
                        const std::vector<CmsObject>& page);
std::string render_object(Format f, const std::string& tag, const CmsObject& object);
// `kind` "coSpaceDoesNotExist", "parameterError"; attributes such as parameter="limit", error="invalidValue".
std::string render_failure(Format f, const std::string& kind,
                           const std::vector<std::pair<std::string, std::string>>& attributes = {});

struct PageRequest {
  size_t offset = 0;
  size_t limit = 0;  // 0: all
  std::string filter;  // objects whose fields hold it (case-insensitive); empty: all
};
inline constexpr size_t kMaxPageLimit = 1000;
// From the query's offset, limit and filter; an error names the parameter.
Result<PageRequest> parse_page_request(const std::map<std::string, std::string>& query);
// The filter applied, then the page cut; `total` gets the count after the filter.
std::vector<CmsObject> select_page(const std::vector<CmsObject>& all, const PageRequest& page, size_t& total);

}  // namespace convene::web
