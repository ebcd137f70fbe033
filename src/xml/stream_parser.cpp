#include "xml/stream_parser.h"

#include <expat.h>
#include <strings.h>

#include <algorithm>
#include <stdexcept>
#include <vector>

#include "xml/document_pool.h"
#include "xml/expat_region.h"
#include "xml/serializer.h"
#include "xml/simple_stanza.h"

namespace convene::xml {

std::string_view condition_name(StreamErrorCondition c) {
  switch (c) {
    case StreamErrorCondition::bad_format: return "bad-format";
    case StreamErrorCondition::invalid_namespace: return "invalid-namespace";
    case StreamErrorCondition::not_well_formed: return "not-well-formed";
    case StreamErrorCondition::policy_violation: return "policy-violation";
    case StreamErrorCondition::restricted_xml: return "restricted-xml";
    case StreamErrorCondition::unsupported_encoding: return "unsupported-encoding";
  }
  return "undefined-condition";
}

namespace {
// Separates namespace URI, local name and prefix in expat's names. \x01 is not a
// legal XML 1.0 character, so it can never occur inside a URI or a name.
constexpr char kSep = '\x01';
constexpr XML_Char kSepString[] = {kSep, 0};

struct QName {
  std::string_view ns, local, prefix;
};

QName split_name(std::string_view triplet) {
  size_t a = triplet.find(kSep);
  if (a == std::string_view::npos) return {{}, triplet, {}};
  std::string_view rest = triplet.substr(a + 1);
  size_t b = rest.find(kSep);
  if (b == std::string_view::npos) return {triplet.substr(0, a), rest, {}};
  return {triplet.substr(0, a), rest.substr(0, b), rest.substr(b + 1)};
}

bool all_space(std::string_view s) {
  return std::all_of(s.begin(), s.end(),
                     [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; });
}
}  // namespace

struct StreamParser::Impl {
  enum class State { before_open, open, closed, stopped, failed };

  StreamHandler& handler;
  ParserOptions options;
  ExpatRegion region;  // expat's memory (expat_region.h)
  XML_Parser parser;
  State state = State::before_open;
  std::optional<StreamError> error;
  bool halted = false;  // a handler asked expat to stop; ignore anything it still reports
  bool restart_requested = false, stop_requested = false;
  bool in_feed = false;
  uint64_t resume_at = 0;  // absolute offset after the stanza that requested restart

  StreamHeader header;
  bool raw_ok = true;
  // The stanza being built: taken from this thread's pool at its first start tag,
  // given back once the handler has seen it (document_pool.h).
  std::unique_ptr<Document> doc;
  std::vector<Element*> stack;  // open elements of the current stanza
  std::string text;             // character data not yet attached to an element

  // Idle release (release_memory): expat is freed between stanzas and made again
  // when bytes arrive, primed with a stand-in stream header. `expat_origin` maps
  // expat's byte index to the stream offset (index + origin); priming is true while
  // the stand-in header is parsed, so its start tag is not taken for a stanza.
  int64_t expat_origin = 0;
  bool priming = false;

  // Byte bookkeeping, in absolute stream offsets (expat's byte index + expat_origin).
  uint64_t total = 0;           // bytes fed into this stream so far
  uint64_t chunk_base = 0;      // offset of the chunk being parsed now
  std::string_view chunk;
  std::string carry;            // bytes [carry_base, ...) kept from earlier chunks
  uint64_t carry_base = 0;
  uint64_t last_event_end = 0;  // everything before this has been reported by expat
  uint64_t stanza_start = 0;

  Impl(StreamHandler& h, ParserOptions o)
      : handler(h), options(std::move(o)), parser(nullptr) {
    create_expat();
  }

  void create_expat() {
    ExpatRegion::Use use(region);
    parser = XML_ParserCreate_MM("UTF-8", ExpatRegion::suite(), kSepString);
    if (!parser) throw std::bad_alloc();
    XML_SetReturnNSTriplet(parser, XML_TRUE);
    install();
  }
  ~Impl() {
    ExpatRegion::Use use(region);
    XML_ParserFree(parser);
  }

  void install() {
    XML_SetUserData(parser, this);
    XML_SetElementHandler(parser, &on_start, &on_end);
    XML_SetCharacterDataHandler(parser, &on_text);
    XML_SetStartNamespaceDeclHandler(parser, &on_ns_decl);
    XML_SetXmlDeclHandler(parser, &on_xml_decl);
    XML_SetStartDoctypeDeclHandler(parser, &on_doctype);
    XML_SetEntityDeclHandler(parser, &on_entity_decl);
    XML_SetProcessingInstructionHandler(parser, &on_pi);
    XML_SetCommentHandler(parser, &on_comment);
    XML_SetParamEntityParsing(parser, XML_PARAM_ENTITY_PARSING_NEVER);
#ifdef CONVENE_HAVE_XML_REPARSE_DEFERRAL
    // Expat ≥ 2.6 (and Debian 12's patched 2.5) may hold back a complete token
    // until more input arrives; for a chat stream that is pure latency, and our own
    // unfinished-token cap (max_token_bytes) bounds the quadratic-reparse case it
    // guards against.
    XML_SetReparseDeferralEnabled(parser, XML_FALSE);
#endif
  }

  void reset() {
    if (parser) {
      ExpatRegion::Use use(region);
      XML_ParserReset(parser, "UTF-8");
      install();
    } else {
      create_expat();
    }
    expat_origin = 0;
    priming = false;
    state = State::before_open;
    error.reset();
    halted = restart_requested = stop_requested = false;
    header = StreamHeader{};
    raw_ok = true;
    DocumentPool::give(std::move(doc));
    stack.clear();
    text.clear();
    total = chunk_base = carry_base = last_event_end = stanza_start = 0;
    chunk = {};
    carry.clear();
  }

  uint64_t event_start() const { return uint64_t(XML_GetCurrentByteIndex(parser) + expat_origin); }
  uint64_t event_end() const { return event_start() + XML_GetCurrentByteCount(parser); }

  void fail(StreamErrorCondition condition, std::string message) {
    if (!error) error = StreamError{condition, std::move(message)};
    state = State::failed;
    halted = true;
    XML_StopParser(parser, XML_FALSE);
  }

  // After a user callback: honour restart()/stop() made from inside it.
  void after_callback(uint64_t end) {
    if (restart_requested || stop_requested) {
      resume_at = end;
      halted = true;
      XML_StopParser(parser, XML_FALSE);
    }
  }

  bool stanza_too_big(uint64_t end) {
    if (end - stanza_start <= options.max_stanza_bytes) return false;
    fail(StreamErrorCondition::policy_violation,
         "stanza larger than " + std::to_string(options.max_stanza_bytes) + " bytes");
    return true;
  }

  // Bytes [begin, end) of the stream; a view into the chunk when they all lie in
  // it (the common case), otherwise into `carry`, extended with the chunk's bytes.
  std::string_view slice(uint64_t begin, uint64_t end) {
    if (begin >= chunk_base) return chunk.substr(begin - chunk_base, end - begin);
    uint64_t carry_end = carry_base + carry.size();
    if (carry_end < end) carry.append(chunk.substr(carry_end - chunk_base, end - carry_end));
    return std::string_view(carry).substr(begin - carry_base, end - begin);
  }

  // ---- expat callbacks ---------------------------------------------------------

  static void on_start(void* ud, const XML_Char* name, const XML_Char** atts) {
    auto* self = static_cast<Impl*>(ud);
    if (!self->halted) self->start(name, atts);
  }
  static void on_end(void* ud, const XML_Char* name) {
    auto* self = static_cast<Impl*>(ud);
    if (!self->halted) self->end();
  }
  static void on_text(void* ud, const XML_Char* s, int len) {
    auto* self = static_cast<Impl*>(ud);
    if (!self->halted) self->chardata(std::string_view(s, size_t(len)));
  }
  static void on_ns_decl(void* ud, const XML_Char* prefix, const XML_Char* uri) {
    auto* self = static_cast<Impl*>(ud);
    if (self->halted || self->state != State::before_open) return;
    std::string_view p = prefix ? prefix : "", u = uri ? uri : "";
    if (p.empty()) self->header.content_ns = u;
    // Raw stanza bytes may lean on the header's bindings; only the two that every
    // XMPP stream has can be assumed at the destination.
    if (!p.empty() && !(p == "stream" && u == kStreamsNs)) self->raw_ok = false;
  }
  static void on_xml_decl(void* ud, const XML_Char*, const XML_Char* encoding, int) {
    auto* self = static_cast<Impl*>(ud);
    if (self->halted) return;
    if (encoding && strcasecmp(encoding, "UTF-8") != 0) {
      self->fail(StreamErrorCondition::unsupported_encoding,
                 std::string("encoding ") + encoding + " is not UTF-8");
      return;
    }
    self->last_event_end = self->event_end();
  }
  static void on_doctype(void* ud, const XML_Char*, const XML_Char*, const XML_Char*, int) {
    static_cast<Impl*>(ud)->fail(StreamErrorCondition::restricted_xml, "DTD not allowed");
  }
  static void on_entity_decl(void* ud, const XML_Char*, int, const XML_Char*, int,
                             const XML_Char*, const XML_Char*, const XML_Char*,
                             const XML_Char*) {
    static_cast<Impl*>(ud)->fail(StreamErrorCondition::restricted_xml,
                                 "entity declaration not allowed");
  }
  static void on_pi(void* ud, const XML_Char*, const XML_Char*) {
    static_cast<Impl*>(ud)->fail(StreamErrorCondition::restricted_xml,
                                 "processing instruction not allowed");
  }
  static void on_comment(void* ud, const XML_Char*) {
    static_cast<Impl*>(ud)->fail(StreamErrorCondition::restricted_xml, "comment not allowed");
  }

  void open_stream(const XML_Char* name, const XML_Char** atts) {
    QName q = split_name(name);
    if (q.ns != kStreamsNs) {
      fail(StreamErrorCondition::invalid_namespace, "stream namespace is not " +
                                                        std::string(kStreamsNs));
      return;
    }
    if (q.local != "stream") {
      fail(StreamErrorCondition::bad_format, "root element is not <stream>");
      return;
    }
    if (q.prefix != "stream") raw_ok = false;
    for (const XML_Char** a = atts; *a; a += 2) {
      QName an = split_name(a[0]);
      std::string_view value = a[1];
      if (an.ns.empty()) {
        if (an.local == "to") header.to = value;
        else if (an.local == "from") header.from = value;
        else if (an.local == "id") header.id = value;
        else if (an.local == "version") header.version = value;
      } else if (an.ns == kXmlNs && an.local == "lang") {
        header.lang = value;
      }
    }
    if (!options.content_ns.empty() && header.content_ns != options.content_ns) {
      fail(StreamErrorCondition::invalid_namespace,
           "content namespace '" + header.content_ns + "' is not " + options.content_ns);
      return;
    }
    state = State::open;
    last_event_end = event_end();
    handler.on_stream_open(header);
    after_callback(last_event_end);
  }

  void start(const XML_Char* name, const XML_Char** atts) {
    if (state == State::before_open) return open_stream(name, atts);
    if (priming) return;  // the stand-in header of a resumed parser
    if (stack.size() >= options.max_depth) {
      fail(StreamErrorCondition::policy_violation,
           "elements nested deeper than " + std::to_string(options.max_depth));
      return;
    }
    if (stack.empty()) {
      if (doc) doc->clear();
      else doc = DocumentPool::take();
      text.clear();
      stanza_start = event_start();
    } else {
      attach_text();
    }
    if (stanza_too_big(event_end())) return;

    // One copy of expat's "ns\1local\1prefix" into the arena; the parts are views.
    QName q = split_name(doc->intern(name));
    int count = XML_GetSpecifiedAttributeCount(parser) / 2;
    Element& e = doc->create_element_no_copy(q.local, q.ns, q.prefix, uint32_t(count));
    for (const XML_Char** a = atts; *a; a += 2) {
      QName an = split_name(doc->intern(a[0]));
      doc->add_attr_no_copy(e, Attribute{an.local, an.ns, an.prefix, doc->intern(a[1])});
    }
    if (stack.empty()) {
      doc->set_root(&e);
    } else {
      stack.back()->append(e);
    }
    stack.push_back(&e);
    // A start tag reported is a finished token: only what follows it can be one
    // still being read (a stanza of many elements and no text is not one long token).
    last_event_end = event_end();
  }

  void end() {
    if (stack.empty()) {  // </stream:stream>
      state = State::closed;
      handler.on_stream_close();
      after_callback(event_end());
      halted = true;  // nothing may follow the root element
      return;
    }
    attach_text();
    stack.pop_back();
    uint64_t end = event_end();
    if (!stack.empty()) {
      last_event_end = end;  // an inner end tag is a finished token too
      return;
    }
    if (stanza_too_big(end)) return;
    std::string_view raw = raw_ok ? slice(stanza_start, end) : std::string_view{};
    last_event_end = end;
    handler.on_stanza(*doc->root(), raw);
    DocumentPool::give(std::move(doc));
    after_callback(end);
  }

  void chardata(std::string_view s) {
    if (stack.empty()) {
      // Between stanzas only whitespace (keepalives) may appear.
      if (!all_space(s)) {
        fail(StreamErrorCondition::bad_format, "text outside a stanza");
        return;
      }
      last_event_end = event_end();
      return;
    }
    if (stanza_too_big(event_end())) return;
    last_event_end = event_end();
    text.append(s);
  }

  void attach_text() {
    if (text.empty()) return;
    stack.back()->add_text(text);
    text.clear();
  }

  // ---- feeding -----------------------------------------------------------------

  std::optional<StreamError> feed(std::string_view bytes) {
    if (state == State::failed) return error;
    if (state == State::stopped || state == State::closed || bytes.empty()) return std::nullopt;
    in_feed = true;
    std::optional<StreamError> result;
    // XML_Parse takes an int length.
    constexpr size_t kMaxSlice = size_t(1) << 30;
    do {
      std::string_view slice_now = bytes.substr(0, kMaxSlice);
      bytes.remove_prefix(slice_now.size());
      result = parse(slice_now);
    } while (!result && !bytes.empty() && state != State::stopped && state != State::closed);
    in_feed = false;
    return result;
  }

  // Between stanzas, every byte reported, raw bytes usable: the simple reader may
  // take whole stanzas before expat sees anything.
  bool simple_reader_may_start() const {
    return options.simple_stanzas && state == State::open && !halted && stack.empty() && raw_ok &&
           !header.content_ns.empty() && last_event_end == total;
  }

  // Bytes expat will never see: they count for the stream, and expat's byte index
  // maps to stream offsets further on.
  void skip(size_t n) {
    total += n;
    if (parser) expat_origin += int64_t(n);
    last_event_end = total;
  }

  // Reads the whole simple stanzas (and the white space between them) at the start
  // of `bytes`; returns how many bytes it took. Stops at anything else, and after a
  // handler asked for a restart or stop.
  size_t read_simple_stanzas(std::string_view bytes) {
    const SimpleStanzaLimits limits{options.max_stanza_bytes, options.max_depth};
    size_t used = 0;
    while (used < bytes.size()) {
      size_t at = used;
      while (at < bytes.size() && (bytes[at] == ' ' || bytes[at] == '\t' || bytes[at] == '\n' || bytes[at] == '\r'))
        ++at;
      skip(at - used);
      used = at;
      if (at == bytes.size() || bytes[at] != '<') break;
      if (doc) doc->clear();
      else doc = DocumentPool::take();
      const size_t n = read_simple_stanza(bytes.substr(at), header.content_ns, limits, *doc);
      if (n == 0) {
        doc->clear();
        break;
      }
      stanza_start = total;
      skip(n);
      used += n;
      handler.on_stanza(*doc->root(), bytes.substr(at, n));
      DocumentPool::give(std::move(doc));
      if (restart_requested || stop_requested) break;
    }
    return used;
  }

  std::optional<StreamError> parse(std::string_view bytes) {
    if (simple_reader_may_start()) {
      size_t used = read_simple_stanzas(bytes);
      bytes.remove_prefix(used);
      if (restart_requested) {
        std::string rest(bytes);  // as in parse_failed: once or twice per connection
        reset();
        if (rest.empty()) return std::nullopt;
        return parse(rest);
      }
      if (stop_requested) {
        state = State::stopped;
        return std::nullopt;
      }
      if (bytes.empty()) {
        keep_tail(total);
        return std::nullopt;
      }
    }
    if (!parser) resume();
    chunk = bytes;
    chunk_base = total;
    XML_Status status;
    {
      ExpatRegion::Use use(region);
      status = XML_Parse(parser, bytes.data(), int(bytes.size()), XML_FALSE);
    }
    total += bytes.size();
    if (status == XML_STATUS_ERROR) return parse_failed();
    if (state == State::closed) return std::nullopt;

    // Bytes expat has not reported yet belong to a token still being read; keep
    // them (they may start the next stanza's raw text) and bound them.
    uint64_t keep = stack.empty() ? last_event_end : stanza_start;
    if (total - keep > options.max_stanza_bytes) {
      fail(StreamErrorCondition::policy_violation,
           "stanza larger than " + std::to_string(options.max_stanza_bytes) + " bytes");
      return error;
    }
    if (total - last_event_end > options.max_token_bytes) {
      fail(StreamErrorCondition::policy_violation,
           "unfinished XML token larger than " + std::to_string(options.max_token_bytes) + " bytes");
      return error;
    }
    keep_tail(keep);
    return std::nullopt;
  }

  std::optional<StreamError> parse_failed() {
    if (state == State::failed) return error;
    XML_Error code = XML_GetErrorCode(parser);
    if (code == XML_ERROR_ABORTED && restart_requested) {
      // Restart, then parse what followed the stanza as the new stream. Copying is
      // fine here: it happens once or twice per connection.
      std::string rest(slice(resume_at, total));
      reset();
      if (rest.empty()) return std::nullopt;
      return parse(rest);
    }
    if (code == XML_ERROR_ABORTED && stop_requested) {
      state = State::stopped;
      return std::nullopt;
    }
    if (state == State::closed) return std::nullopt;
    StreamErrorCondition c = StreamErrorCondition::not_well_formed;
    if (code == XML_ERROR_UNKNOWN_ENCODING || code == XML_ERROR_INCORRECT_ENCODING) {
      c = StreamErrorCondition::unsupported_encoding;
    }
    error = StreamError{c, XML_ErrorString(code)};
    state = State::failed;
    return error;
  }

  // Between stanzas, with every byte reported, expat holds nothing but the open
  // stream element and its two namespace bindings; an idle connection need not
  // keep the parser (~11 KiB measured) for that. Only for streams whose raw bytes
  // are usable (default namespace + 'stream' prefix, nothing else bound), since
  // then those two bindings are all a stand-in header has to restore.
  bool can_suspend() const {
    return parser && !in_feed && state == State::open && stack.empty() && raw_ok &&
           !header.content_ns.empty() && last_event_end == total;
  }

  void suspend() {
    {
      ExpatRegion::Use use(region);
      XML_ParserFree(parser);
    }
    parser = nullptr;
    region.release();
  }

  void resume() {
    create_expat();
    std::string stand_in = "<stream:stream xmlns:stream='" + std::string(kStreamsNs) + "' xmlns='";
    escape_attr(header.content_ns, stand_in);
    stand_in += "'>";
    priming = true;
    ExpatRegion::Use use(region);
    XML_Status status = XML_Parse(parser, stand_in.data(), int(stand_in.size()), XML_FALSE);
    priming = false;
    // The stand-in is our own well-formed text; failing here is a bug, not input.
    if (status != XML_STATUS_OK) throw std::logic_error("stream parser: stand-in header rejected");
    expat_origin = int64_t(total) - int64_t(stand_in.size());
  }

  void keep_tail(uint64_t keep) {
    uint64_t carry_end = carry_base + carry.size();
    if (keep >= total) {
      carry.clear();
      carry_base = total;
    } else if (keep >= carry_base && keep < carry_end) {
      carry.erase(0, keep - carry_base);
      carry_base = keep;
      uint64_t from = carry_base + carry.size();
      carry.append(chunk.substr(from - chunk_base));
    } else {
      carry.assign(chunk.substr(keep - chunk_base));
      carry_base = keep;
    }
  }
};

StreamParser::StreamParser(StreamHandler& handler, ParserOptions options)
    : impl_(std::make_unique<Impl>(handler, std::move(options))) {}
StreamParser::~StreamParser() = default;

std::optional<StreamError> StreamParser::feed(std::string_view bytes) {
  return impl_->feed(bytes);
}

void StreamParser::restart() {
  // Inside a handler expat is mid-parse and cannot be reset: defer to the end of
  // the current stanza (see Impl::after_callback).
  if (impl_->in_feed) {
    impl_->restart_requested = true;
  } else {
    impl_->reset();
  }
}

void StreamParser::stop() {
  if (impl_->in_feed) {
    impl_->stop_requested = true;
  } else if (impl_->state != Impl::State::failed) {
    impl_->state = Impl::State::stopped;
  }
}

void StreamParser::release_memory() {
  if (!impl_->stack.empty() || impl_->in_feed) return;  // mid-stanza: the tree is still being built
  DocumentPool::give(std::move(impl_->doc));
  impl_->stack.shrink_to_fit();
  impl_->text.shrink_to_fit();
  impl_->carry.shrink_to_fit();
  if (impl_->can_suspend()) impl_->suspend();
}

bool StreamParser::released() const { return impl_->parser == nullptr; }

const StreamHeader& StreamParser::header() const { return impl_->header; }
bool StreamParser::stream_open() const { return impl_->state == Impl::State::open; }
bool StreamParser::stream_closed() const { return impl_->state == Impl::State::closed; }
bool StreamParser::between_elements() const {
  if (impl_->state != Impl::State::open && impl_->state != Impl::State::before_open) return true;
  return impl_->stack.empty() && impl_->last_event_end == impl_->total;
}

}  // namespace convene::xml
