// How long the stream parser takes per stanza, with the simple stanza reader
// (xml/simple_stanza.h) and with expat alone, interleaved in one run:
//
//   build/bench/stanza-parse-bench [STANZAS_PER_ROUND] [ROUNDS]
//
// Each stanza is fed on its own, as a read from a client's socket brings it; the
// handler only looks at the root's name. Prints each round and the medians. A
// benchmark, not a test: the figures move with the machine's load.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "xml/stream_parser.h"

namespace {

struct Count : convene::xml::StreamHandler {
  size_t stanzas = 0;
  void on_stream_open(const convene::xml::StreamHeader&) override {}
  void on_stanza(convene::xml::Element& stanza, std::string_view) override { stanzas += !stanza.name().empty(); }
  void on_stream_close() override {}
};

constexpr std::string_view kHeader =
    "<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' to='bench.test' "
    "version='1.0' xml:lang='en'>";
// The chat message convene-bench sends (190 bytes), and one a client with chat
// states and receipts would.
const std::vector<std::string> kStanzas = {
    "<message to='user1@bench.test/b' type='chat' id='m12345'><body>bench message 12345 from user0 to user1 with "
    "some filler text to be typical</body></message>",
    "<message to='alice@bench.test' from='bob@bench.test/phone' type='chat' id='a1b2c3' xml:lang='en'><body>Are we "
    "still on for the meeting at 3? I&apos;ll bring the slides &amp; notes.</body><active "
    "xmlns='http://jabber.org/protocol/chatstates'/><request xmlns='urn:xmpp:receipts'/></message>",
};

double ns_per_stanza(bool simple, size_t count) {
  Count handler;
  convene::xml::ParserOptions options;
  options.simple_stanzas = simple;
  convene::xml::StreamParser parser(handler, options);
  if (parser.feed(kHeader)) std::abort();
  auto start = std::chrono::steady_clock::now();
  for (size_t i = 0; i < count; ++i)
    if (parser.feed(kStanzas[i % kStanzas.size()])) std::abort();
  auto took = std::chrono::steady_clock::now() - start;
  if (handler.stanzas != count) std::abort();
  return std::chrono::duration<double, std::nano>(took).count() / double(count);
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  size_t count = argc > 1 ? std::strtoul(argv[1], nullptr, 10) : 200000;
  int rounds = argc > 2 ? std::atoi(argv[2]) : 5;
  std::vector<double> with, without;
  for (int r = 0; r < rounds; ++r) {
    without.push_back(ns_per_stanza(false, count));
    with.push_back(ns_per_stanza(true, count));
    std::printf("round %d: expat alone %.0f ns/stanza, simple reader %.0f ns/stanza\n", r + 1, without.back(),
                with.back());
  }
  std::printf("median: expat alone %.0f ns/stanza, simple reader %.0f ns/stanza (%.2fx less)\n", median(without),
              median(with), median(without) / median(with));
  return 0;
}
