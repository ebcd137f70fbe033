#include "xmpp/websocket_framing.h"

#include <optional>
#include <utility>

#include "xmpp_core/namespaces.h"

namespace convene::xmpp {

namespace {

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

std::string_view trim(std::string_view s) {
  while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
  return s;
}

struct Attribute {
  std::string_view name;
  std::string_view quoted;  // the value with its quotes, as written (escapes kept)
};

// The attributes of a start tag's inside ("open to='a' version='1.0'", name
// included, without '<' and '>' or '/>'); nullopt when it is not name="value" pairs.
std::optional<std::vector<Attribute>> attributes(std::string_view inside) {
  size_t i = 0;
  while (i < inside.size() && !is_space(inside[i])) ++i;  // the element's name
  std::vector<Attribute> out;
  for (;;) {
    while (i < inside.size() && is_space(inside[i])) ++i;
    if (i == inside.size()) return out;
    size_t name_start = i;
    while (i < inside.size() && !is_space(inside[i]) && inside[i] != '=') ++i;
    std::string_view name = inside.substr(name_start, i - name_start);
    while (i < inside.size() && is_space(inside[i])) ++i;
    if (name.empty() || i == inside.size() || inside[i] != '=') return std::nullopt;
    ++i;
    while (i < inside.size() && is_space(inside[i])) ++i;
    if (i == inside.size() || (inside[i] != '\'' && inside[i] != '"')) return std::nullopt;
    size_t close = inside.find(inside[i], i + 1);
    if (close == std::string_view::npos) return std::nullopt;
    out.push_back({name, inside.substr(i, close + 1 - i)});
    i = close + 1;
  }
}

std::string_view unquoted(std::string_view quoted) { return quoted.substr(1, quoted.size() - 2); }

bool declares_namespace(std::string_view name) { return name == "xmlns" || name.rfind("xmlns:", 0) == 0; }

// `message` is "<NAME ...>" with NAME 'open' or 'close': the attributes, when it is
// one self-closed element in the framing namespace.
std::optional<std::vector<Attribute>> framing_element(std::string_view message, bool& wrong_namespace) {
  wrong_namespace = false;
  if (message.size() < 4 || message.substr(message.size() - 2) != "/>") return std::nullopt;
  auto attrs = attributes(message.substr(1, message.size() - 3));
  if (!attrs) return std::nullopt;
  bool framing = false;
  for (const auto& a : *attrs) {
    if (a.name == "xmlns") framing = unquoted(a.quoted) == kFramingNs;
    else if (a.name.rfind("xmlns:", 0) == 0) return std::nullopt;  // no prefixes in <open/>
  }
  if (!framing) {
    wrong_namespace = true;
    return std::nullopt;
  }
  return attrs;
}

bool starts_with_name(std::string_view s, std::string_view name) {
  return s.size() > name.size() + 1 && s[0] == '<' && s.substr(1, name.size()) == name &&
         (is_space(s[name.size() + 1]) || s[name.size() + 1] == '/' || s[name.size() + 1] == '>');
}

// End of the markup token starting at s[i] == '<' (one past its '>'), or npos when
// `s` ends first. Quotes in tags are honoured, so a '>' inside a value does not end it.
size_t token_end(std::string_view s, size_t i) {
  auto until = [&](std::string_view end) {
    size_t e = s.find(end, i);
    return e == std::string_view::npos ? e : e + end.size();
  };
  auto rest = s.substr(i);
  if (rest.rfind("<![CDATA[", 0) == 0) return until("]]>");
  if (rest.rfind("<!--", 0) == 0) return until("-->");
  if (rest.rfind("<?", 0) == 0) return until("?>");
  if (rest.size() < 9 && (std::string_view("<![CDATA[").rfind(rest, 0) == 0 || rest == "<!-")) return std::string_view::npos;
  char quote = 0;
  for (size_t j = i + 1; j < s.size(); ++j) {
    char c = s[j];
    if (quote) {
      if (c == quote) quote = 0;
    } else if (c == '\'' || c == '"') {
      quote = c;
    } else if (c == '>') {
      return j + 1;
    }
  }
  return std::string_view::npos;
}

}  // namespace

ClientMessage translate_client_message(std::string_view message, std::string& out) {
  out.clear();
  auto m = trim(message);
  bool wrong_namespace = false;
  if (starts_with_name(m, "open")) {
    auto attrs = framing_element(m, wrong_namespace);
    if (!attrs) return wrong_namespace ? ClientMessage::wrong_namespace : ClientMessage::malformed;
    out = "<stream:stream xmlns='";
    out += kClientNs;
    out += "' xmlns:stream='";
    out += kStreamsNs;
    out += "'";
    for (const auto& a : *attrs) {
      if (declares_namespace(a.name)) continue;
      out += ' ';
      out += a.name;
      out += '=';
      out += a.quoted;
    }
    out += '>';
    return ClientMessage::open;
  }
  if (starts_with_name(m, "close")) {
    if (!framing_element(m, wrong_namespace))
      return wrong_namespace ? ClientMessage::wrong_namespace : ClientMessage::malformed;
    out = "</stream:stream>";
    return ClientMessage::close;
  }
  // Whitespace only (a keepalive some clients send although RFC 7395 §3.6 says to
  // use WebSocket pings): nothing for the parser, but it counts as traffic.
  if (m.empty()) return ClientMessage::element;
  // One element, not a stream header in TCP form, not an end tag or a declaration:
  // the stream parser checks the rest (well-formedness, that it ends between elements).
  if (m.size() < 2 || m[0] != '<' || m[1] == '/' || m[1] == '?' || m[1] == '!' || starts_with_name(m, "stream:stream"))
    return ClientMessage::malformed;
  out.assign(m);
  return ClientMessage::element;
}

void ServerFraming::translate(std::string_view bytes, std::vector<std::string>& messages) {
  std::string joined;
  std::string_view s = bytes;
  if (!pending_.empty()) {
    joined = std::move(pending_);
    joined.append(bytes);
    s = joined;
  }
  pending_.clear();
  size_t i = 0;
  while (i < s.size() && !closed_) {
    if (s[i] != '<') {  // whitespace (or stray text) between elements: not a message
      ++i;
      continue;
    }
    size_t start = i;
    if (i + 1 < s.size() && (s[i + 1] == '?' || s[i + 1] == '!')) {  // an XML declaration: no message
      size_t end = token_end(s, i);
      if (end == std::string_view::npos) {
        pending_.assign(s.substr(start));
        return;
      }
      i = end;
      continue;
    }
    // The stream's own header and end are not elements of their own over WebSocket.
    if (starts_with_name(s.substr(i), "stream:stream") || s.substr(i).rfind("</stream:stream>", 0) == 0) {
      size_t end = token_end(s, i);
      if (end == std::string_view::npos) {
        pending_.assign(s.substr(start));
        return;
      }
      auto tag = s.substr(start, end - start);
      if (tag[1] == '/') {
        messages.emplace_back("<close xmlns='" + std::string(kFramingNs) + "'/>");
        closed_ = true;
      } else {
        std::string open = "<open xmlns='" + std::string(kFramingNs) + "'";
        auto inside = tag.substr(1, tag.size() - 2);
        if (auto attrs = attributes(inside)) {
          for (const auto& a : *attrs) {
            if (declares_namespace(a.name)) continue;
            open += ' ';
            open += a.name;
            open += '=';
            open += a.quoted;
          }
        }
        open += "/>";
        messages.push_back(std::move(open));
      }
      i = end;
      continue;
    }
    // An element: follow start and end tags until it is closed.
    int depth = 0;
    size_t j = i;
    bool complete = false;
    while (j < s.size()) {
      if (s[j] != '<') {
        ++j;
        continue;
      }
      size_t end = token_end(s, j);
      if (end == std::string_view::npos) break;
      char kind = s[j + 1];
      if (kind == '/') {
        --depth;
      } else if (kind != '!' && kind != '?' && s[end - 2] != '/') {
        ++depth;
      }
      j = end;
      if (depth <= 0) {
        complete = true;
        break;
      }
    }
    if (!complete) {
      pending_.assign(s.substr(start));
      return;
    }
    emit_element(s.substr(start, j - start), messages);
    i = j;
  }
}

void ServerFraming::emit_element(std::string_view element, std::vector<std::string>& messages) {
  size_t name_end = 1;
  while (name_end < element.size() && !is_space(element[name_end]) && element[name_end] != '/' &&
         element[name_end] != '>')
    ++name_end;
  std::string_view name = element.substr(1, name_end - 1);
  size_t tag_end = token_end(element, 0);
  auto attrs = attributes(element.substr(1, tag_end - (element[tag_end - 2] == '/' ? 3 : 2)));
  bool has_default = false, has_stream = false;
  if (attrs)
    for (const auto& a : *attrs) {
      has_default |= a.name == "xmlns";
      has_stream |= a.name == "xmlns:stream";
    }
  std::string declarations;
  if (name.rfind("stream:", 0) == 0) {
    if (!has_stream) declarations = " xmlns:stream='" + std::string(kStreamsNs) + "'";
  } else if (name.find(':') == std::string_view::npos && !has_default) {
    declarations = " xmlns='" + std::string(kClientNs) + "'";
  }
  std::string out;
  out.reserve(element.size() + declarations.size());
  out.append(element.substr(0, name_end));
  out.append(declarations);
  out.append(element.substr(name_end));
  messages.push_back(std::move(out));
}

}  // namespace convene::xmpp
