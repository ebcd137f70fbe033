#include "web/cms_render.h"

#include <nlohmann/json.hpp>

#include "web/form_decoding.h"

namespace convene::web {

using nlohmann::json;

Format format_for(const std::string& accept) {
  return accept.find("application/json") != std::string::npos ? Format::json : Format::xml;
}

std::string content_type_of(Format format) {
  return format == Format::json ? "application/json" : "text/xml; charset=utf-8";
}

std::string xml_escape(const std::string& text) {
  std::string out;
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&apos;"; break;
      default: out += c;
    }
  }
  return out;
}

namespace {

std::string object_xml(const std::string& tag, const CmsObject& o) {
  std::string out = "<" + tag;
  if (!o.id.empty()) out += " id=\"" + xml_escape(o.id) + "\"";
  out += ">";
  for (auto& [name, value] : o.fields) out += "<" + name + ">" + xml_escape(value) + "</" + name + ">";
  return out + "</" + tag + ">";
}

json object_json(const CmsObject& o) {
  json j = json::object();
  if (!o.id.empty()) j["id"] = o.id;
  for (auto& [name, value] : o.fields) j[name] = value;
  return j;
}

}  // namespace

std::string render_list(Format f, const std::string& list_tag, const std::string& item_tag, size_t total,
                        const std::vector<CmsObject>& page) {
  if (f == Format::json) {
    json items = json::array();
    for (auto& o : page) items.push_back(object_json(o));
    return json{{list_tag, {{"total", total}, {item_tag, items}}}}.dump() + "\n";
  }
  std::string out = "<?xml version=\"1.0\"?><" + list_tag + " total=\"" + std::to_string(total) + "\">";
  for (auto& o : page) out += object_xml(item_tag, o);
  return out + "</" + list_tag + ">\n";
}

std::string render_object(Format f, const std::string& tag, const CmsObject& object) {
  if (f == Format::json) return json{{tag, object_json(object)}}.dump() + "\n";
  return "<?xml version=\"1.0\"?>" + object_xml(tag, object) + "\n";
}

std::string render_failure(Format f, const std::string& kind,
                           const std::vector<std::pair<std::string, std::string>>& attributes) {
  if (f == Format::json) {
    json detail = json::object();
    for (auto& [k, v] : attributes) detail[k] = v;
    return json{{"failureDetails", {{kind, detail}}}}.dump() + "\n";
  }
  std::string out = "<?xml version=\"1.0\"?><failureDetails><" + kind;
  for (auto& [k, v] : attributes) out += " " + k + "=\"" + xml_escape(v) + "\"";
  return out + " /></failureDetails>\n";
}

namespace {

Result<size_t> number(const std::map<std::string, std::string>& query, const std::string& name, size_t max) {
  auto it = query.find(name);
  if (it == query.end()) return size_t{0};
  const std::string& text = it->second;
  bool digits = !text.empty() && text.size() <= 9 &&
                std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
  if (!digits || std::stoul(text) > max) return make_error(name);
  return static_cast<size_t>(std::stoul(text));
}

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

}  // namespace

Result<PageRequest> parse_page_request(const std::map<std::string, std::string>& query) {
  PageRequest page;
  auto offset = number(query, "offset", 1000000000);
  if (!offset) return offset.error();
  auto limit = number(query, "limit", kMaxPageLimit);
  if (!limit) return limit.error();
  page.offset = *offset;
  page.limit = *limit;
  if (auto it = query.find("filter"); it != query.end()) page.filter = it->second;
  return page;
}

std::vector<CmsObject> select_page(const std::vector<CmsObject>& all, const PageRequest& page, size_t& total) {
  std::vector<CmsObject> matching;
  std::string needle = lower(page.filter);
  for (auto& o : all) {
    bool hit = needle.empty() || lower(o.id).find(needle) != std::string::npos;
    for (auto& field : o.fields) hit = hit || lower(field.second).find(needle) != std::string::npos;
    if (hit) matching.push_back(o);
  }
  total = matching.size();
  std::vector<CmsObject> out;
  for (size_t i = page.offset; i < matching.size() && (page.limit == 0 || out.size() < page.limit); ++i)
    out.push_back(matching[i]);
  return out;
}

}  // namespace convene::web
