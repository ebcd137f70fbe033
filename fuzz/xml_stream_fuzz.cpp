// The XML stream parser as a client drives it before authentication: bytes in
// arbitrary chunks, a restart now and then (as after STARTTLS and SASL).
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "xml/stream_parser.h"

namespace {

struct Sink : convene::xml::StreamHandler {
  void on_stream_open(const convene::xml::StreamHeader&) override {}
  void on_stanza(convene::xml::Element& stanza, std::string_view raw) override {
    // Walk what was built, so a dangling node shows up under ASan.
    (void)stanza.name();
    (void)stanza.text();
    (void)raw.size();
  }
  void on_stream_close() override {}
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  // The first byte picks the chunk size, so expat's state across feeds is covered.
  size_t chunk = data[0] % 64 + 1;
  std::string_view bytes(reinterpret_cast<const char*>(data + 1), size - 1);
  Sink sink;
  convene::xml::ParserOptions options;
  options.max_stanza_bytes = 4096;
  options.max_token_bytes = 1024;
  convene::xml::StreamParser parser(sink, options);
  for (size_t at = 0; at < bytes.size(); at += chunk) {
    if (parser.feed(bytes.substr(at, chunk))) break;
    if (at % 1024 == 0 && parser.stream_open()) parser.release_memory();
  }
  return 0;
}
