#pragma once
// Incremental XMPP stream parser (RFC 6120 §4, §11) on expat.
//
// Feed it whatever the socket returned, in any split; it calls a StreamHandler
// for the stream header, for each complete top-level stanza, and for the stream
// close, and returns a StreamError (with its RFC 6120 condition, ready to become
// <stream:error/>) when the stream must end.
//
// Contracts:
// - One parser per connection, used from that connection's strand only.
// - Handlers run synchronously inside feed(). The Element and the raw bytes given
//   to on_stanza() are valid only during that call (they live in buffers the
//   parser reuses for the next stanza — that is what makes it allocation-free in
//   steady state). Keep the raw bytes or Document::clone() to hold on to a stanza.
// - Restarts (RFC 6120 §5.4.3.3 STARTTLS, §6.4.6 SASL success): call restart().
//   Called inside a handler, it takes effect right after the current stanza and
//   the rest of the bytes already fed are parsed as the new stream (a client may
//   pipeline its new header). After <starttls/> call stop() instead: bytes that
//   followed it in plaintext must never reach the TLS stream; restart() once the
//   TLS handshake is done.
//
// Why expat in namespace mode (XML_ParserCreateNS, triplets): XML Namespaces
// (prefix scoping, unbound prefixes, duplicate attributes after expansion) are easy
// to get subtly wrong by hand and expat already does them in C; with triplets it
// also tells us the prefix as written, so serializing keeps `stream:` and friends.
// The xmlns declarations themselves are not kept: the serializer re-derives them.
//
// Why raw bytes: most stanzas are routed unchanged except for a stamped 'from'.
// The parser slices each stanza's exact bytes out of the input (across chunk
// boundaries if it must, copying only then) so the router can forward them with
// write_readdressed() instead of re-serializing. Raw bytes are withheld (empty)
// when the sender's stream header bound prefixes other than the default namespace
// and 'stream', because then the raw text would not stand on its own elsewhere.
//
// The common stanza (simple_stanza.h) is read without expat when it arrives
// whole between two stanzas: expat never sees those bytes (its byte count is kept
// in step), and what the reader does not take, expat reads as before.
//
// Hardening: no DTD, entity declaration, processing instruction or comment is
// accepted (RFC 6120 §11.1), so entity expansion — billion laughs — never starts;
// stanza size and nesting depth are capped; the bytes of an unfinished token
// count against the stanza cap and against a smaller cap of their own, so a
// never-ending start tag is caught early, before rescanning it costs much.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "xml/element.h"

namespace convene::xml {

// RFC 6120 §4.9.3 conditions the parser itself can raise.
enum class StreamErrorCondition {
  bad_format,            // text between stanzas, wrong root element name
  invalid_namespace,     // stream namespace or content namespace wrong
  not_well_formed,       // XML or XML-Namespaces violation
  policy_violation,      // stanza too large, nesting too deep
  restricted_xml,        // DTD, entity declaration, processing instruction, comment
  unsupported_encoding,  // declared encoding other than UTF-8
};
// The element name, e.g. "not-well-formed".
std::string_view condition_name(StreamErrorCondition condition);

struct StreamError {
  StreamErrorCondition condition;
  std::string text;  // for logs and the optional <text/>
};

struct StreamHeader {
  std::string content_ns;  // the default namespace: jabber:client, jabber:server, ...
  std::string to, from, id, version, lang;
};

struct ParserOptions {
  // Raw bytes of one stanza, or of anything expat holds unfinished (the stream
  // header included), so keep it well above a header's size.
  size_t max_stanza_bytes = 256 * 1024;
  size_t max_depth = 64;                 // element nesting in a stanza; the stanza is 1
  std::string content_ns;                // required default namespace; empty = any
  // Bytes expat holds without having reported them: one unfinished token (a tag,
  // an entity, a comment). Text and CDATA are reported as they arrive, so only
  // markup counts, and no XMPP tag comes near this. Why a cap of its own: expat
  // rescans an unfinished token from its start on every feed (reparse deferral is
  // off, see install()), so a huge start tag sent a byte at a time would cost the
  // square of its length; 16 KiB bounds that to ~10^8 byte scans per connection.
  size_t max_token_bytes = 16 * 1024;
  // Read the common stanza without expat (simple_stanza.h says why and which); the
  // tests, the differential fuzz target and stanza-parse-bench set it both ways.
  bool simple_stanzas = true;
};

class StreamHandler {
 public:
  virtual ~StreamHandler() = default;
  virtual void on_stream_open(const StreamHeader& header) = 0;
  // `raw`: the stanza's exact bytes, or empty when withheld (see above).
  virtual void on_stanza(Element& stanza, std::string_view raw) = 0;
  virtual void on_stream_close() = 0;
};

class StreamParser {
 public:
  explicit StreamParser(StreamHandler& handler, ParserOptions options = {});
  ~StreamParser();
  StreamParser(const StreamParser&) = delete;
  StreamParser& operator=(const StreamParser&) = delete;

  // Parse more bytes. Returns the error that ends the stream, if one happened
  // (the same error again on later calls). Bytes after stop() or after the stream
  // close are ignored.
  [[nodiscard]] std::optional<StreamError> feed(std::string_view bytes);

  void restart();
  void stop();
  // Give back buffers while the connection is idle; they regrow on demand.
  // Between stanzas this frees expat itself; the next feed() makes a new one,
  // primed with a stand-in header (the stream's default namespace and 'stream').
  void release_memory();
  // True while expat is freed by release_memory() (tests, memory figures).
  bool released() const;

  const StreamHeader& header() const;
  bool stream_open() const;    // header seen, close not yet
  bool stream_closed() const;  // </stream:stream> seen
  // Every byte fed so far is accounted for by a complete event and no stanza is
  // open: the input ended between two elements (or the stream ended or failed).
  bool between_elements() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace convene::xml
