#pragma once
// Writing stanzas back to bytes.
//
// All writers append to a caller-owned std::string so a connection can reuse one
// output buffer for its whole life (no per-stanza allocation once it has grown).
//
// Two ways to send a stanza:
// - serialize(): from the tree, escaping everything. Namespace declarations are
//   derived from each element's (prefix, namespace) against what is already in
//   scope, so a stanza moved between streams stays correct XML.
// - write_readdressed(): from the stanza's original raw bytes (see StreamParser),
//   copying them unchanged except for the top-level from/to attributes. This is
//   the router's hot path: one pass, no tree walk, no re-escaping. The raw bytes
//   are only meaningful inside a stream whose default namespace (and 'stream'
//   prefix) match the stream they were read from; StreamParser withholds raw bytes
//   when the sender's stream header bound anything else.
#include <optional>
#include <string>
#include <string_view>

#include "xml/element.h"

namespace convene::xml {

inline constexpr std::string_view kStreamsNs = "http://etherx.jabber.org/streams";

// What the destination already has in scope, normally from its stream header.
struct WriteContext {
  std::string_view default_ns;       // e.g. "jabber:client"; empty = no default namespace
  bool stream_prefix_bound = false;  // 'stream:' is bound to kStreamsNs
};

// Escape character data: & < > (and \r, which a parser would otherwise normalise away).
void escape_text(std::string_view text, std::string& out);
// Escape an attribute value for single quotes: & < > ' " and \t \n \r.
void escape_attr(std::string_view value, std::string& out);
// " name='value'" with the value escaped, for stanzas written as text.
std::string attribute(std::string_view name, std::string_view value);

void serialize(const Element& element, std::string& out, const WriteContext& context = {});
std::string to_string(const Element& element, const WriteContext& context = {});

// Copy a raw stanza, replacing (or adding) the top-level 'from' and/or 'to'.
// nullopt keeps the attribute as it was (present or absent). `raw` must be one
// complete element exactly as StreamParser delivered it (already well-formed);
// values are escaped here.
void write_readdressed(std::string_view raw, std::optional<std::string_view> from,
                       std::optional<std::string_view> to, std::string& out);

// The stream header a server or client sends:
// <?xml version='1.0'?><stream:stream xmlns='...' xmlns:stream='...' ...>
struct StreamOpen {
  std::string_view content_ns;  // jabber:client, jabber:server, jabber:component:accept
  std::string_view to, from, id, version, lang;  // empty ones are omitted
};
void write_stream_open(const StreamOpen& header, std::string& out);
inline constexpr std::string_view kStreamClose = "</stream:stream>";

}  // namespace convene::xml
