// The simple stanza reader held to expat: the same bytes, cut the same way, go
// through two stream parsers, one that reads simple stanzas itself and one that
// leaves everything to expat, and both must report the same events, trees, raw
// bytes and errors (simple_stanza.h's contract). A difference aborts.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "xml/stream_parser.h"

namespace {

using convene::xml::Element;
using convene::xml::Node;

// Every node and attribute as built, adjacent text nodes apart.
void dump(const Element& e, std::string& out) {
  out += '<';
  out.append(e.prefix()).append("|").append(e.name()).append("|").append(e.ns());
  for (auto* a = e.attrs_begin(); a != e.attrs_end(); ++a)
    out.append(" ").append(a->prefix).append("|").append(a->name).append("|").append(a->ns).append("=[").append(a->value).append("]");
  out += '>';
  for (Node* n = e.first_child(); n; n = n->next_sibling()) {
    if (n->is_element()) dump(*n->as_element(), out);
    else out.append("{").append(n->text_value()).append("}");
  }
  out += "</>";
}

struct Events : convene::xml::StreamHandler {
  std::vector<std::string> seen;
  void on_stream_open(const convene::xml::StreamHeader& h) override {
    seen.push_back("open " + h.content_ns + " " + h.to + " " + h.version);
  }
  void on_stanza(Element& stanza, std::string_view raw) override {
    std::string s;
    dump(stanza, s);
    seen.push_back(s + " raw=" + std::string(raw));
  }
  void on_stream_close() override { seen.push_back("close"); }
};

std::vector<std::string> run(std::string_view bytes, size_t chunk, bool simple) {
  Events events;
  convene::xml::ParserOptions options;
  options.max_stanza_bytes = 4096;
  options.max_token_bytes = 1024;
  options.max_depth = 16;
  options.simple_stanzas = simple;
  convene::xml::StreamParser parser(events, options);
  for (size_t at = 0; at < bytes.size(); at += chunk) {
    if (auto error = parser.feed(bytes.substr(at, chunk))) {
      events.seen.push_back("error " + std::string(condition_name(error->condition)) + " " + error->text);
      break;
    }
    if (at % 512 == 0 && parser.stream_open()) parser.release_memory();
  }
  return events.seen;
}

constexpr std::string_view kHeader =
    "<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' version='1.0'>";

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  // The first byte: whether a stream header goes first (so that most inputs explore
  // stanzas rather than headers), and the chunk size: all at once (the reader only
  // takes stanzas whole in one chunk), or 1-32 bytes (stanzas cut, expat's turn).
  std::string bytes = data[0] & 0x80 ? std::string(kHeader) : std::string();
  bytes.append(reinterpret_cast<const char*>(data + 1), size - 1);
  size_t chunk = data[0] & 0x40 ? bytes.size() : data[0] % 32 + 1;
  if (run(bytes, chunk, true) != run(bytes, chunk, false)) std::abort();
  return 0;
}
