#include "xmpp/cluster_router_sender.h"

namespace convene::xmpp {
namespace {

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

std::optional<std::string> decode_entities(std::string_view v) {
  static constexpr std::pair<std::string_view, char> kEntities[] = {
      {"&amp;", '&'}, {"&lt;", '<'}, {"&gt;", '>'}, {"&quot;", '"'}, {"&apos;", '\''}};
  std::string out;
  for (size_t i = 0; i < v.size();) {
    if (v[i] == '<') return std::nullopt;
    if (v[i] != '&') {
      out.push_back(v[i++]);
      continue;
    }
    bool known = false;
    for (auto& [text, c] : kEntities)
      if (v.substr(i, text.size()) == text) {
        out.push_back(c);
        i += text.size();
        known = true;
        break;
      }
    if (!known) return std::nullopt;
  }
  return out;
}

}  // namespace

bool may_send(const RouterMessage& m, std::uint64_t from, std::uint64_t leader) {
  const bool itself = m.node == from;
  const bool from_leader = leader != 0 && from == leader;
  switch (m.type) {
    case RouterMessageType::session_up:
    case RouterMessageType::session_down:
    case RouterMessageType::component_up:
    case RouterMessageType::component_down:
    case RouterMessageType::node_sessions:
    case RouterMessageType::deliver: return itself || from_leader;
    case RouterMessageType::bridge_freed: return !itself && from_leader;
    case RouterMessageType::register_node:
    case RouterMessageType::relay:
    case RouterMessageType::delivered:
    case RouterMessageType::delivered_many: return itself;
  }
  return false;
}

bool may_speak_for_bridge(std::optional<std::uint64_t> holder,
                          const std::map<std::uint64_t, std::chrono::steady_clock::time_point>& former,
                          std::uint64_t origin, std::chrono::steady_clock::time_point now,
                          std::chrono::steady_clock::duration window) {
  if (!holder || *holder == origin) return true;
  auto it = former.find(origin);
  return it != former.end() && now - it->second <= window;
}

bool held_by_origin(std::optional<std::uint64_t> holder, std::uint64_t origin, std::uint64_t self) {
  return !holder || *holder == origin || (*holder == 0 && origin == self);
}

bool takes_on_forwarded(std::optional<std::uint64_t> holder) { return holder == std::optional<std::uint64_t>(0); }

std::optional<std::string> stanza_from(std::string_view s) {
  if (s.empty() || s[0] != '<') return std::nullopt;
  size_t i = 1;
  while (i < s.size() && !is_space(s[i]) && s[i] != '>' && s[i] != '/') ++i;
  std::optional<std::string> from;
  for (;;) {
    while (i < s.size() && is_space(s[i])) ++i;
    if (i >= s.size()) return std::nullopt;
    if (s[i] == '>' || s[i] == '/') break;
    size_t name_start = i;
    while (i < s.size() && !is_space(s[i]) && s[i] != '=' && s[i] != '>') ++i;
    std::string_view name = s.substr(name_start, i - name_start);
    while (i < s.size() && is_space(s[i])) ++i;
    if (i >= s.size() || s[i] != '=') return std::nullopt;
    ++i;
    while (i < s.size() && is_space(s[i])) ++i;
    if (i >= s.size() || (s[i] != '\'' && s[i] != '"')) return std::nullopt;
    char quote = s[i++];
    size_t end = s.find(quote, i);
    if (end == std::string_view::npos) return std::nullopt;
    if (name == "from") {
      if (from) return std::nullopt;
      from = decode_entities(s.substr(i, end - i));
      if (!from) return std::nullopt;
    }
    i = end + 1;
  }
  return from ? *from : std::string();
}

}  // namespace convene::xmpp
