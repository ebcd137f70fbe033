#pragma once
// The common stanza read without expat: a strict subset of XML that the stream
// parser (stream_parser.h) reads itself, handing everything else to expat.
//
// Why by hand, beside expat: a chat stanza costs expat about 6,600 instructions
// plus 21 a byte (Debian's libexpat 2.5, namespace mode), more than half of what
// the server spends on a routed message in user space. Most stanzas use none of
// what makes XML costly: no prefixes, no character references, no CDATA. For those
// a single pass that checks and builds the tree at once is several times cheaper.
// No Debian package offers a validating XML reader for such a subset (pugixml and
// RapidXML do not check well-formedness as expat does).
//
// The contract that keeps it safe: anything not surely well-formed and inside the
// subset is refused (0), before anything is reported, and expat reads it as
// before. So the reader never accepts what expat would reject, and what it accepts
// becomes the same tree expat's events would build (a differential fuzz target,
// fuzz/xml_simple_stanza_fuzz.cpp, holds it to that). The subset:
// - names of ASCII letters, digits, '_', '-', '.' (not starting with a digit, '-'
//   or '.'); no prefixes, except the attribute xml:lang;
// - xmlns='...' declares the default namespace (not empty, not a reserved one);
// - attribute values and text: UTF-8 of XML characters, the five predefined
//   entities; no character references, no tab, newline or carriage return in an
//   attribute value (they are normalised), no carriage return in text (line ends
//   are normalised), no "]]>";
// - no comments, CDATA sections or processing instructions;
// - the whole stanza in the bytes given, within the size and depth limits.
#include <cstddef>
#include <string_view>

#include "xml/element.h"

namespace convene::xml {

struct SimpleStanzaLimits {
  size_t max_bytes = 0;  // the stanza's bytes, start tag to end tag
  size_t max_depth = 0;  // element nesting; the stanza itself is 1
};

// Reads the stanza at the start of `in` (its first byte is the start tag's '<')
// into `doc`, whose root it becomes; elements without an xmlns declaration are in
// `default_ns` (which must outlive the tree). Returns the stanza's length, or 0
// when it is not wholly in `in` or not inside the subset: then `doc` holds
// leftovers to clear, and expat must read these bytes.
size_t read_simple_stanza(std::string_view in, std::string_view default_ns, const SimpleStanzaLimits& limits,
                          Document& doc);

}  // namespace convene::xml
