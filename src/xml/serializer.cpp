#include "xml/serializer.h"

#include <array>

namespace convene::xml {
namespace {

// Append `text`, replacing the characters marked in `special` by escape_of's
// replacement. Runs of plain characters are found with one table look-up a byte
// and appended in one call (every routed stanza's from/to passes here).
using ByteSet = std::array<bool, 256>;

constexpr ByteSet byte_set(std::string_view chars) {
  ByteSet set{};
  for (char c : chars) set[static_cast<unsigned char>(c)] = true;
  return set;
}

template <class F>
void escape(std::string_view text, std::string& out, const ByteSet& special, F escape_of) {
  const size_t n = text.size();
  size_t run = 0, i = 0;
  for (;;) {
    while (i < n && !special[static_cast<unsigned char>(text[i])]) ++i;
    out.append(text.data() + run, i - run);
    if (i == n) return;
    out.append(escape_of(text[i]));
    run = ++i;
  }
}

// Namespace bindings in scope, as a chain of stack frames (no allocation).
struct Binding {
  std::string_view prefix;
  std::string_view ns;
  const Binding* up;
};

const Binding* lookup(const Binding* scope, std::string_view prefix) {
  for (; scope; scope = scope->up) {
    if (scope->prefix == prefix) return scope;
  }
  return nullptr;
}

bool is_bound(const Binding* scope, std::string_view prefix, std::string_view ns) {
  const Binding* b = lookup(scope, prefix);
  return b ? b->ns == ns : (prefix.empty() && ns.empty());
}

void write_decl(std::string_view prefix, std::string_view ns, std::string& out) {
  out += prefix.empty() ? " xmlns='" : " xmlns:";
  if (!prefix.empty()) {
    out += prefix;
    out += "='";
  }
  escape_attr(ns, out);
  out += '\'';
}

void write_attr(std::string_view prefix, std::string_view name, std::string_view value,
                std::string& out) {
  out += ' ';
  if (!prefix.empty()) {
    out += prefix;
    out += ':';
  }
  out += name;
  out += "='";
  escape_attr(value, out);
  out += '\'';
}

// Per element: one binding for the element itself plus a few for prefixed
// attributes. More distinct attribute namespaces than this are still declared,
// just not remembered for the children (correct, slightly verbose).
constexpr size_t kMaxLocalBindings = 8;

void write_element(const Element& e, std::string& out, const Binding* scope) {
  std::array<Binding, kMaxLocalBindings> local;
  size_t n = 0;
  const Binding* top = scope;
  auto declare = [&](std::string_view prefix, std::string_view ns) {
    write_decl(prefix, ns, out);
    if (n < local.size()) {
      local[n] = Binding{prefix, ns, top};
      top = &local[n++];
    }
  };

  // A prefix cannot be bound to "no namespace" (xmlns:p='' is not XML 1.0).
  std::string_view prefix = e.ns().empty() ? std::string_view{} : e.prefix();
  out += '<';
  if (!prefix.empty()) {
    out += prefix;
    out += ':';
  }
  out += e.name();
  if (!is_bound(top, prefix, e.ns())) declare(prefix, e.ns());

  int generated = 0;
  for (const Attribute* a = e.attrs_begin(); a != e.attrs_end(); ++a) {
    if (a->ns.empty()) {
      write_attr({}, a->name, a->value, out);
      continue;
    }
    if (a->ns == kXmlNs) {
      write_attr("xml", a->name, a->value, out);
      continue;
    }
    // Attributes never use the default namespace, and a prefix this very element
    // already declared for another namespace cannot be declared twice.
    std::string_view ap = a->prefix;
    bool clash = false;
    for (const Binding* b = top; b != scope; b = b->up) {
      if (b->prefix == ap) clash = b->ns != a->ns;
    }
    if (ap.empty() || ap == "xml" || ap == "xmlns" || clash) {
      static constexpr std::string_view kGenerated[] = {"ns0", "ns1", "ns2", "ns3",
                                                        "ns4", "ns5", "ns6", "ns7"};
      ap = kGenerated[generated++ % 8];
    }
    if (!is_bound(top, ap, a->ns)) declare(ap, a->ns);
    write_attr(ap, a->name, a->value, out);
  }

  Node* child = e.first_child();
  if (!child) {
    out += "/>";
    return;
  }
  out += '>';
  for (; child; child = child->next_sibling()) {
    if (const Element* ce = child->as_element()) {
      write_element(*ce, out, top);
    } else {
      escape_text(child->text_value(), out);
    }
  }
  out += "</";
  if (!prefix.empty()) {
    out += prefix;
    out += ':';
  }
  out += e.name();
  out += '>';
}

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

}  // namespace

void escape_text(std::string_view text, std::string& out) {
  static constexpr ByteSet kSpecial = byte_set("&<>\r");
  escape(text, out, kSpecial, [](char c) -> std::string_view {
    switch (c) {
      case '&': return "&amp;";
      case '<': return "&lt;";
      case '>': return "&gt;";
      case '\r': return "&#13;";
      default: return {};
    }
  });
}

void escape_attr(std::string_view value, std::string& out) {
  static constexpr ByteSet kSpecial = byte_set("&<>'\"\t\n\r");
  escape(value, out, kSpecial, [](char c) -> std::string_view {
    switch (c) {
      case '&': return "&amp;";
      case '<': return "&lt;";
      case '>': return "&gt;";
      case '\'': return "&apos;";
      case '"': return "&quot;";
      case '\t': return "&#9;";
      case '\n': return "&#10;";
      case '\r': return "&#13;";
      default: return {};
    }
  });
}

std::string attribute(std::string_view name, std::string_view value) {
  std::string out = " ";
  out += name;
  out += "='";
  escape_attr(value, out);
  out += "'";
  return out;
}

void serialize(const Element& element, std::string& out, const WriteContext& context) {
  Binding stream{"stream", kStreamsNs, nullptr};
  Binding def{"", context.default_ns, context.stream_prefix_bound ? &stream : nullptr};
  write_element(element, out, &def);
}

std::string to_string(const Element& element, const WriteContext& context) {
  std::string out;
  serialize(element, out, context);
  return out;
}

void write_readdressed(std::string_view raw, std::optional<std::string_view> from,
                       std::optional<std::string_view> to, std::string& out) {
  // The bytes were accepted by expat, so this small scanner only has to find
  // boundaries, not validate: name, then (space name = quote value quote)*.
  size_t pos = 1;
  while (pos < raw.size() && !is_space(raw[pos]) && raw[pos] != '/' && raw[pos] != '>') ++pos;
  size_t copied = 0;
  for (;;) {
    size_t attr_start = pos;
    while (pos < raw.size() && is_space(raw[pos])) ++pos;
    if (pos >= raw.size() || raw[pos] == '/' || raw[pos] == '>') break;
    size_t name_start = pos;
    while (pos < raw.size() && raw[pos] != '=' && !is_space(raw[pos])) ++pos;
    std::string_view name = raw.substr(name_start, pos - name_start);
    while (pos < raw.size() && raw[pos] != '\'' && raw[pos] != '"') ++pos;
    if (pos >= raw.size()) break;
    size_t close = raw.find(raw[pos], pos + 1);
    if (close == std::string_view::npos) break;
    pos = close + 1;
    if ((name == "from" && from) || (name == "to" && to)) {
      out.append(raw.substr(copied, attr_start - copied));  // drop the old attribute
      copied = pos;
    }
  }
  out.append(raw.substr(copied, pos - copied));
  if (to) write_attr({}, "to", *to, out);
  if (from) write_attr({}, "from", *from, out);
  out.append(raw.substr(pos));
}

void write_stream_open(const StreamOpen& h, std::string& out) {
  out += "<?xml version='1.0'?><stream:stream";
  write_decl({}, h.content_ns, out);
  write_decl("stream", kStreamsNs, out);
  if (!h.to.empty()) write_attr({}, "to", h.to, out);
  if (!h.from.empty()) write_attr({}, "from", h.from, out);
  if (!h.id.empty()) write_attr({}, "id", h.id, out);
  if (!h.version.empty()) write_attr({}, "version", h.version, out);
  if (!h.lang.empty()) write_attr("xml", "lang", h.lang, out);
  out += '>';
}

}  // namespace convene::xml
