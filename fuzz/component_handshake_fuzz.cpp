// A call bridge's side of XEP-0114 as the component port reads it: the stream
// header in the component namespace, then <handshake>digest</handshake>, checked
// against the digest of a known secret as the server checks it.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "xml/stream_parser.h"
#include "xmpp_core/component_handshake.h"

namespace {

struct ComponentSide : convene::xml::StreamHandler {
  std::string expected = convene::xmpp::component_handshake_digest("stream-id-1", "a-long-enough-shared-secret");
  bool accepted = false;
  void on_stream_open(const convene::xml::StreamHeader& header) override { (void)header.to.size(); }
  void on_stanza(convene::xml::Element& stanza, std::string_view) override {
    if (!accepted && stanza.name() == "handshake") accepted = stanza.text() == expected;
  }
  void on_stream_close() override {}
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  ComponentSide side;
  convene::xml::ParserOptions options;
  options.content_ns = "jabber:component:accept";
  options.max_stanza_bytes = 4096;
  convene::xml::StreamParser parser(side, options);
  (void)parser.feed(std::string_view(reinterpret_cast<const char*>(data), size));
  return 0;
}
