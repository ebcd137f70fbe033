// The cluster port's messages as a peer sends them (after its TLS handshake):
// the consensus requests and responses, the XMPP router's messages, and a log
// entry's framing. Whatever decodes must encode back to something that decodes
// to the same bytes again, so a field lost or mangled in either direction shows.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "cluster/cluster_messages.h"
#include "cluster/entry_framing.h"
#include "xmpp/cluster_wire.h"

using namespace convene;

namespace {

template <typename T, typename Decode>
void round_trip(std::string_view bytes, Decode decode) {
  auto first = decode(bytes);
  if (!first) return;
  std::string encoded = encode(*first);
  auto second = decode(encoded);
  if (!second || encode(*second) != encoded) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  round_trip<cluster::Request>(in, [](std::string_view b) { return cluster::decode_request(b); });
  round_trip<cluster::Response>(in, [](std::string_view b) { return cluster::decode_response(b); });
  auto message = xmpp::decode_router_message(in);
  if (message) {
    auto again = xmpp::decode_router_message(xmpp::encode(*message));
    if (!again || !(*again == *message)) std::abort();
  }
  (void)cluster::unframe_command(in);
  return 0;
}
