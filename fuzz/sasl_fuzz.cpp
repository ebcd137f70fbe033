// SASL messages as a client sends them: PLAIN's message, SCRAM's client-first and
// client-final (the input is split at the first 0xff byte into the two).
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "xmpp_core/scram.h"

using namespace convene;
using namespace convene::xmpp;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  (void)decode_plain(in);
  (void)decode_credentials(in);

  auto split = in.find('\xff');
  std::string_view first = in.substr(0, split);
  std::string_view final = split == std::string_view::npos ? std::string_view() : in.substr(split + 1);
  // Credentials made once: PBKDF2 with the least iterations SCRAM allows keeps
  // the run fast while taking the same path as a real account.
  static const auto credentials = make_credentials(ScramHash::sha256, "pencil", 4096);
  ScramServer server(ScramHash::sha256, "fuzznonce");
  auto client_first = server.receive_client_first(first);
  if (!client_first) return 0;
  (void)server.server_first(credentials ? &*credentials : nullptr);
  (void)server.receive_client_final(final);
  return 0;
}
