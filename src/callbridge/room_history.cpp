#include "callbridge/room_history.h"

#include <ctime>
#include <cstdio>

#include "xml/serializer.h"

namespace convene::callbridge {

namespace {
std::optional<int> number_attr(const xml::Element& e, std::string_view name) {
  std::string v(e.attr(name));
  if (v.empty() || v.size() > 9 || v.find_first_not_of("0123456789") != std::string::npos) return std::nullopt;
  return std::stoi(v);
}
}  // namespace

HistoryRequest parse_history_request(const xml::Element* muc_x) {
  HistoryRequest r;
  if (!muc_x) return r;
  auto* h = muc_x->find_child("history");
  if (!h) return r;
  r.max_stanzas = number_attr(*h, "maxstanzas");
  r.max_chars = number_attr(*h, "maxchars");
  r.seconds = number_attr(*h, "seconds");
  if (!h->attr("since").empty()) r.since_ms = parse_xep0082(std::string(h->attr("since")));
  return r;
}

std::vector<std::string> history_to_send(const std::vector<HistoryEntry>& kept, const HistoryRequest& request,
                                         int64_t now_ms, const std::string& room_jid, const std::string& to) {
  bool asked = request.max_stanzas || request.max_chars || request.seconds || request.since_ms;
  int max_stanzas = request.max_stanzas ? *request.max_stanzas : asked ? kHistoryKept : kHistorySent;
  std::vector<std::string> newest_first;
  int64_t chars = 0;
  for (auto it = kept.rbegin(); it != kept.rend(); ++it) {
    if (static_cast<int>(newest_first.size()) >= max_stanzas) break;
    if (request.seconds && it->at_ms < now_ms - int64_t{*request.seconds} * 1000) break;
    if (request.since_ms && it->at_ms <= *request.since_ms) break;
    const std::string& s = it->stanza;
    if (s.rfind("<message", 0) != 0 || s.size() < 20) continue;
    std::string out = "<message" + xml::attribute("to", to) + s.substr(8, s.size() - 8 - 10);
    out += "<delay xmlns='urn:xmpp:delay'" + xml::attribute("from", room_jid) +
           xml::attribute("stamp", xep0082_stamp(it->at_ms)) + "/></message>";
    chars += static_cast<int64_t>(out.size());
    if (request.max_chars && chars > *request.max_chars) break;
    newest_first.push_back(std::move(out));
  }
  return {newest_first.rbegin(), newest_first.rend()};
}

std::string xep0082_stamp(int64_t unix_ms) {
  std::time_t secs = static_cast<std::time_t>(unix_ms / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[40];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(unix_ms % 1000));
  return buf;
}

std::optional<int64_t> parse_xep0082(const std::string& text) {
  std::tm tm{};
  int ms = 0;
  char rest[16] = {0};
  int n = std::sscanf(text.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d%15s", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour,
                      &tm.tm_min, &tm.tm_sec, rest);
  if (n < 6) return std::nullopt;
  std::string tail(rest);
  if (!tail.empty() && tail[0] == '.') {
    std::size_t digits = tail.find_first_not_of("0123456789", 1);
    std::string frac = tail.substr(1, digits == std::string::npos ? std::string::npos : digits - 1);
    while (frac.size() < 3) frac += '0';
    ms = std::stoi(frac.substr(0, 3));
    tail = digits == std::string::npos ? "" : tail.substr(digits);
  }
  if (tail != "Z" && tail != "+00:00") return std::nullopt;  // clients send UTC (XEP-0082 recommends it)
  tm.tm_year -= 1900;
  tm.tm_mon -= 1;
  return int64_t{timegm(&tm)} * 1000 + ms;
}

}  // namespace convene::callbridge
