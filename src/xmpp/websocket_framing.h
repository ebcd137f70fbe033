#pragma once
// RFC 7395 framing <-> the ordinary XML stream a ClientStream speaks.
//
// Over WebSocket every message is one whole element: the stream header becomes
// <open xmlns='urn:ietf:params:xml:ns:xmpp-framing' .../>, the end of the stream
// <close .../>, and every top-level element declares its namespaces itself
// (stanzas carry xmlns='jabber:client', <stream:features/> and <stream:error/>
// declare the 'stream' prefix). Translating at the edge keeps c2s, SASL, bind and
// XEP-0198 identical for TCP and WebSocket clients: the stream's parser sees a
// <stream:stream> header where the client sent <open/>, and what the stream
// writes is cut back into messages here.
//
// Pure: no I/O, no threads; one ServerFraming per connection (it keeps an
// element cut between two writes).
#include <string>
#include <string_view>
#include <vector>

namespace convene::xmpp {

inline constexpr std::string_view kFramingNs = "urn:ietf:params:xml:ns:xmpp-framing";

// One client message, translated for the stream parser.
enum class ClientMessage {
  open,       // <open/>: `out` is a <stream:stream ...> header with its attributes
  close,      // <close/>: `out` is </stream:stream>
  element,    // anything else: `out` is the message, surrounding whitespace trimmed (empty: whitespace only)
  malformed,  // not an element, a TCP-style stream header, or an <open/>/<close/> that is not self-closed
  wrong_namespace,  // <open/> or <close/> outside the framing namespace
};
ClientMessage translate_client_message(std::string_view message, std::string& out);

// The stream's output, cut into RFC 7395 messages.
class ServerFraming {
 public:
  // Appends one message per complete top-level element in `bytes` (with what an
  // earlier call left unfinished); whitespace between elements is dropped.
  void translate(std::string_view bytes, std::vector<std::string>& messages);
  bool closed() const { return closed_; }  // </stream:stream> was translated to <close/>

 private:
  void emit_element(std::string_view element, std::vector<std::string>& messages);
  std::string pending_;  // the start of an element not yet complete
  bool closed_ = false;
};

}  // namespace convene::xmpp
