#pragma once
// SASL negotiation for client streams (RFC 6120 §6): which mechanisms are
// offered, and one authentication exchange as a state machine over the decoded
// payloads. SCRAM-SHA-256 and SCRAM-SHA-1 always; PLAIN over TLS, or without TLS
// when the operator allowed plaintext streams (`xmpp plaintext on`: the stream is in
// clear anyway, and benchmarks' reference setup is plain TCP + PLAIN).
// Owned by one ClientStream, on its thread.
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "xmpp/plain_verifier_cache.h"
#include "xmpp/store.h"
#include "xmpp_core/scram.h"

namespace convene::xmpp {

std::vector<std::string_view> sasl_mechanisms(bool plain_allowed);

struct SaslStep {
  enum class Kind { challenge, success, failure };
  Kind kind = Kind::failure;
  std::string data;        // challenge payload, or success additional data (decoded)
  std::string user;        // the prepared localpart: on success, and on a failed password check
  SaslCondition condition = SaslCondition::not_authorized;  // on failure
  std::string log_text;    // on failure
};

class SaslExchange {
 public:
  // `plain_cache`: where PLAIN checks are remembered (null: every check is a PBKDF2).
  SaslExchange(const XmppStore& store, bool plain_allowed, PlainVerifierCache* plain_cache = nullptr)
      : store_(store), plain_allowed_(plain_allowed), plain_cache_(plain_cache) {}
  // <auth mechanism='...'>initial response</auth> (decoded; nullopt: none sent).
  SaslStep start(std::string_view mechanism, std::optional<std::string> initial);
  // <response>...</response> (decoded).
  SaslStep respond(std::string_view data);

 private:
  SaslStep client_first(std::string_view data);
  SaslStep plain(std::string_view data);
  bool plain_pending_ = false;
  const XmppStore& store_;
  bool plain_allowed_;
  PlainVerifierCache* plain_cache_;
  std::unique_ptr<ScramServer> scram_;
  ScramHash hash_ = ScramHash::sha256;
  std::string user_;
  bool awaiting_final_ = false;
};

}  // namespace convene::xmpp
