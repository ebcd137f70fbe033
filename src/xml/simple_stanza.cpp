#include "xml/simple_stanza.h"

#include <array>
#include <cstdint>
#include <string>

namespace convene::xml {

namespace {

constexpr std::string_view kXmlnsNs = "http://www.w3.org/2000/xmlns/";

// What a byte is to the reader. `plain` bytes stand for themselves in text and in
// attribute values; the others need a look.
enum ByteClass : uint8_t {
  plain,
  lt,         // '<'
  amp,        // '&'
  bracket,    // ']': plain unless it starts "]]>"
  quote,      // '"' or '\'': plain in text, the end of a value quoted with it
  tab_or_nl,  // '\t' or '\n': plain in text, normalised in attribute values
  refused,    // '\r' (line ends are normalised) and other control characters
  utf8,       // the first byte of a multi-byte character, or not UTF-8 at all
};

constexpr std::array<uint8_t, 256> make_classes() {
  std::array<uint8_t, 256> c{};
  for (int b = 0; b < 256; ++b) {
    if (b >= 0x80) c[b] = utf8;
    else if (b < 0x20) c[b] = refused;
    else c[b] = plain;
  }
  c['\t'] = tab_or_nl;
  c['\n'] = tab_or_nl;
  c['<'] = lt;
  c['&'] = amp;
  c[']'] = bracket;
  c['"'] = quote;
  c['\''] = quote;
  return c;
}
constexpr auto kClasses = make_classes();

constexpr std::array<bool, 256> make_name_chars(bool start) {
  std::array<bool, 256> n{};
  for (int b = 'a'; b <= 'z'; ++b) n[b] = true;
  for (int b = 'A'; b <= 'Z'; ++b) n[b] = true;
  n['_'] = true;
  if (!start) {
    for (int b = '0'; b <= '9'; ++b) n[b] = true;
    n['-'] = true;
    n['.'] = true;
  }
  return n;
}
constexpr auto kNameStart = make_name_chars(true);
constexpr auto kNameChar = make_name_chars(false);

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

// The length of the UTF-8 sequence at `p` (its first byte ≥ 0x80) when it is
// well-formed, complete before `end` and an XML character; 0 otherwise
// (overlong forms, surrogates, U+FFFE, U+FFFF, beyond U+10FFFF, cut off).
size_t utf8_char(const unsigned char* p, const unsigned char* end) {
  const unsigned c = p[0];
  auto cont = [&](size_t i) { return p + i < end && (p[i] & 0xC0) == 0x80; };
  if (c < 0xC2) return 0;
  if (c < 0xE0) return cont(1) ? 2 : 0;
  if (c < 0xF0) {
    if (!cont(1) || !cont(2)) return 0;
    if (c == 0xE0 && p[1] < 0xA0) return 0;
    if (c == 0xED && p[1] >= 0xA0) return 0;
    if (c == 0xEF && p[1] == 0xBF && p[2] >= 0xBE) return 0;
    return 3;
  }
  if (c < 0xF5) {
    if (!cont(1) || !cont(2) || !cont(3)) return 0;
    if (c == 0xF0 && p[1] < 0x90) return 0;
    if (c == 0xF4 && p[1] >= 0x90) return 0;
    return 4;
  }
  return 0;
}

class Reader {
 public:
  Reader(std::string_view in, const SimpleStanzaLimits& limits, Document& doc)
      : begin_(reinterpret_cast<const unsigned char*>(in.data())),
        p_(begin_),
        end_(begin_ + std::min(in.size(), limits.max_bytes)),
        max_depth_(limits.max_depth),
        doc_(doc) {}

  size_t stanza(std::string_view default_ns) {
    if (!element(nullptr, default_ns, 1)) return 0;
    return size_t(p_ - begin_);
  }

 private:
  struct PendingAttr {
    std::string_view name;
    bool xml_lang;
    std::string_view value;
  };
  static constexpr size_t kMaxAttrs = 16;

  bool at(char c) const { return p_ < end_ && *p_ == static_cast<unsigned char>(c); }
  bool skip_space() {
    const unsigned char* from = p_;
    while (p_ < end_ && is_space(char(*p_))) ++p_;
    return p_ != from;
  }

  std::string_view name() {
    const unsigned char* from = p_;
    if (p_ >= end_ || !kNameStart[*p_]) return {};
    ++p_;
    while (p_ < end_ && kNameChar[*p_]) ++p_;
    return {reinterpret_cast<const char*>(from), size_t(p_ - from)};
  }

  // One of the five predefined entities after '&' (p_ on the '&'); false for
  // anything else (character references included: expat's).
  bool entity(std::string& out) {
    auto rest = std::string_view(reinterpret_cast<const char*>(p_), size_t(end_ - p_));
    struct Known {
      std::string_view text;
      char c;
    };
    static constexpr Known kKnown[] = {{"&amp;", '&'}, {"&lt;", '<'}, {"&gt;", '>'}, {"&quot;", '"'}, {"&apos;", '\''}};
    for (auto& k : kKnown)
      if (rest.starts_with(k.text)) {
        out.push_back(k.c);
        p_ += k.text.size();
        return true;
      }
    return false;
  }

  // Character data up to the next '<' (text) or the closing `quote` (an attribute
  // value), unescaped, copied into the document. False when outside the subset.
  bool chars(char quote_char, std::string_view& value) {
    const bool in_attr = quote_char != 0;
    const unsigned char* from = p_;
    bool copied = false;  // `scratch_` holds the value so far (an entity was decoded)
    scratch_.clear();
    while (p_ < end_) {
      const uint8_t cls = kClasses[*p_];
      if (cls == plain) {
        ++p_;
        continue;
      }
      if (cls == lt) {
        if (in_attr) return false;
        break;
      }
      if (cls == quote) {
        if (in_attr && *p_ == static_cast<unsigned char>(quote_char)) break;
        ++p_;
        continue;
      }
      if (cls == tab_or_nl) {
        if (in_attr) return false;
        ++p_;
        continue;
      }
      if (cls == bracket) {
        if (!in_attr && end_ - p_ >= 3 && p_[1] == ']' && p_[2] == '>') return false;
        if (!in_attr && end_ - p_ < 3) return false;  // cut off: it may be "]]>"
        ++p_;
        continue;
      }
      if (cls == utf8) {
        size_t n = utf8_char(p_, end_);
        if (n == 0) return false;
        p_ += n;
        continue;
      }
      if (cls == amp) {
        scratch_.append(reinterpret_cast<const char*>(from), size_t(p_ - from));
        if (!entity(scratch_)) return false;
        from = p_;
        copied = true;
        continue;
      }
      return false;  // refused
    }
    if (p_ >= end_) return false;  // cut off (or past the size limit)
    if (copied) {
      scratch_.append(reinterpret_cast<const char*>(from), size_t(p_ - from));
      value = doc_.intern(scratch_);
    } else {
      value = doc_.intern({reinterpret_cast<const char*>(from), size_t(p_ - from)});
    }
    return true;
  }

  // The start tag's attributes, up to '>' or "/>"; `ns` becomes the declared
  // default namespace if there is one.
  bool attributes(PendingAttr* attrs, size_t& count, std::string_view& ns, bool& empty) {
    bool declared = false;
    for (;;) {
      const bool spaced = skip_space();
      if (p_ >= end_) return false;
      if (*p_ == '>') {
        ++p_;
        empty = false;
        return true;
      }
      if (*p_ == '/') {
        if (end_ - p_ < 2 || p_[1] != '>') return false;
        p_ += 2;
        empty = true;
        return true;
      }
      if (!spaced) return false;  // attributes are separated by white space
      std::string_view attr_name = name();
      if (attr_name.empty()) return false;
      bool xml_lang = false;
      if (at(':')) {
        if (attr_name != "xml") return false;
        ++p_;
        if (name() != "lang" || at(':')) return false;
        xml_lang = true;
      }
      skip_space();
      if (!at('=')) return false;
      ++p_;
      skip_space();
      if (p_ >= end_ || kClasses[*p_] != quote) return false;
      const char q = char(*p_++);
      std::string_view value;
      if (!chars(q, value)) return false;
      ++p_;  // the closing quote
      if (!xml_lang && attr_name == "xmlns") {
        if (declared || value.empty() || value == kXmlNs || value == kXmlnsNs) return false;
        declared = true;
        ns = value;
        continue;
      }
      for (size_t i = 0; i < count; ++i)
        if (attrs[i].xml_lang == xml_lang && attrs[i].name == attr_name) return false;  // duplicate
      if (count == kMaxAttrs) return false;
      attrs[count++] = {attr_name, xml_lang, value};
    }
  }

  bool element(Element* parent, std::string_view parent_ns, size_t depth) {
    if (depth > max_depth_ || !at('<')) return false;
    ++p_;
    std::string_view tag = name();
    if (tag.empty() || at(':')) return false;
    PendingAttr attrs[kMaxAttrs];
    size_t count = 0;
    std::string_view ns = parent_ns;
    bool empty = false;
    if (!attributes(attrs, count, ns, empty)) return false;

    Element& e = doc_.create_element_no_copy(doc_.intern(tag), ns, {}, uint32_t(count));
    for (size_t i = 0; i < count; ++i) {
      if (attrs[i].xml_lang)
        doc_.add_attr_no_copy(e, Attribute{"lang", kXmlNs, "xml", attrs[i].value});
      else
        doc_.add_attr_no_copy(e, Attribute{doc_.intern(attrs[i].name), {}, {}, attrs[i].value});
    }
    if (parent) parent->append(e);
    else doc_.set_root(&e);
    if (empty) return true;

    for (;;) {
      std::string_view text;
      if (!chars(0, text)) return false;
      if (!text.empty()) e.add_text_no_copy(text);
      // p_ is on a '<'.
      if (end_ - p_ < 2) return false;
      const unsigned char next = p_[1];
      if (next == '/') {
        p_ += 2;
        if (name() != tag) return false;
        skip_space();
        if (!at('>')) return false;
        ++p_;
        return true;
      }
      if (!kNameStart[next]) return false;  // comment, CDATA, PI, or not a name
      if (!element(&e, ns, depth + 1)) return false;
    }
  }

  const unsigned char* begin_;
  const unsigned char* p_;
  const unsigned char* end_;
  size_t max_depth_;
  Document& doc_;
  std::string scratch_;
};

}  // namespace

size_t read_simple_stanza(std::string_view in, std::string_view default_ns, const SimpleStanzaLimits& limits,
                          Document& doc) {
  Reader reader(in, limits, doc);
  return reader.stanza(default_ns);
}

}  // namespace convene::xml
