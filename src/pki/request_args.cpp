#include "pki/request_args.h"

#include <algorithm>
#include <cctype>
#include <charconv>

namespace convene::pki {

namespace {

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

}  // namespace

const std::string* ArgWords::find(const std::string& key) const {
  auto it = values.find(key);
  return it == values.end() ? nullptr : &it->second;
}

Result<ArgWords> parse_arg_words(const std::vector<std::string>& words, const std::vector<std::string>& keys,
                                 size_t min_positional, size_t max_positional) {
  ArgWords out;
  for (const auto& word : words) {
    auto colon = word.find(':');
    if (colon == std::string::npos) {
      out.positional.push_back(word);
      continue;
    }
    std::string typed = word.substr(0, colon);
    auto key = std::find_if(keys.begin(), keys.end(), [&](const std::string& k) { return lower(k) == lower(typed); });
    if (key == keys.end()) {
      std::string known;
      for (const auto& k : keys) known += (known.empty() ? "" : ", ") + k + ":";
      return make_error("unknown argument '" + typed + ":'" + (known.empty() ? "" : " (this command takes " + known + ")"));
    }
    if (out.values.count(*key)) return make_error("argument '" + *key + ":' given twice");
    out.values[*key] = word.substr(colon + 1);
  }
  if (out.positional.size() < min_positional) return make_error("missing argument");
  if (out.positional.size() > max_positional)
    return make_error("unexpected argument '" + out.positional[max_positional] + "'");
  return out;
}

Result<CsrRequest> request_from_args(const ArgWords& args) {
  CsrRequest request;
  for (const auto& key : kSubjectKeys)
    if (const std::string* value = args.find(key)) {
      std::string v = *value;
      if (key == "C") std::transform(v.begin(), v.end(), v.begin(), [](unsigned char c) { return std::toupper(c); });
      request.subject.entries.push_back({key, v});
    }
  CONVENE_TRY(validate_name(request.subject));
  if (const std::string* sans = args.find(kSanKey)) {
    auto parsed = parse_alt_names(*sans);
    if (!parsed) return parsed.error();
    request.sans = std::move(*parsed);
  }
  return request;
}

Result<long> integer_arg(const ArgWords& args, const std::string& key, long fallback, long min, long max) {
  const std::string* text = args.find(key);
  if (!text) return fallback;
  long value = 0;
  const char* begin = text->data();
  if (!text->empty() && *begin == '+') ++begin;  // "start:+30" reads naturally
  const char* end = text->data() + text->size();
  auto [ptr, ec] = std::from_chars(begin, end, value);
  if (ec != std::errc() || ptr != end || begin == end)
    return make_error(key + ":" + *text + " is not a whole number", "Give e.g. " + key + ":30");
  if (value < min || value > max)
    return make_error(key + ":" + *text + " is out of range",
                      "Give a number from " + std::to_string(min) + " to " + std::to_string(max) + ".");
  return value;
}

Result<bool> yes_no_arg(const ArgWords& args, const std::string& key, bool fallback) {
  const std::string* text = args.find(key);
  if (!text) return fallback;
  std::string v = lower(*text);
  if (v == "yes" || v == "true") return true;
  if (v == "no" || v == "false") return false;
  return make_error(key + ":" + *text + " must be yes or no", "Give " + key + ":yes or " + key + ":no.");
}

}  // namespace convene::pki
