#include "xmpp/sasl.h"

#include "xmpp_core/jid.h"

namespace convene::xmpp {

std::vector<std::string_view> sasl_mechanisms(bool plain_allowed) {
  if (plain_allowed) return {"SCRAM-SHA-256", "SCRAM-SHA-1", "PLAIN"};
  return {"SCRAM-SHA-256", "SCRAM-SHA-1"};
}

namespace {
SaslStep fail(SaslCondition c, std::string text) {
  SaslStep s;
  s.kind = SaslStep::Kind::failure;
  s.condition = c;
  s.log_text = std::move(text);
  return s;
}
}  // namespace

SaslStep SaslExchange::start(std::string_view mechanism, std::optional<std::string> initial) {
  if (mechanism == "PLAIN") {
    if (!plain_allowed_) return fail(SaslCondition::encryption_required, "PLAIN without TLS");
    if (!initial) {
      SaslStep s;
      s.kind = SaslStep::Kind::challenge;
      awaiting_final_ = false;
      scram_.reset();
      user_.clear();
      plain_pending_ = true;
      return s;
    }
    return plain(*initial);
  }
  auto hash = scram_hash_for(mechanism);
  if (!hash) return fail(SaslCondition::invalid_mechanism, "unknown mechanism");
  hash_ = *hash;
  scram_ = std::make_unique<ScramServer>(hash_);
  awaiting_final_ = false;
  if (!initial) {
    SaslStep s;
    s.kind = SaslStep::Kind::challenge;  // empty challenge: send client-first
    return s;
  }
  return client_first(*initial);
}

SaslStep SaslExchange::plain(std::string_view data) {
  plain_pending_ = false;
  auto p = decode_plain(data);
  if (!p) return fail(p.failure().condition, p.failure().text);
  auto user = prepare_localpart(p->authcid);
  if (!user) return fail(SaslCondition::not_authorized, "bad user name");
  if (!p->authzid.empty() && p->authzid != *user) {
    auto j = Jid::parse(p->authzid);
    if (!j || j->local() != *user) return fail(SaslCondition::invalid_authzid, "authzid differs");
  }
  auto creds = store_.credentials(*user, ScramHash::sha256);
  if (!creds) creds = store_.credentials(*user, ScramHash::sha1);
  // An unknown user is checked against decoy keys through the same code: the same
  // PBKDF2, so the time of a refusal does not tell which accounts exist.
  const bool known = creds.has_value();
  if (!known) creds = decoy_credentials(ScramHash::sha256, *user);
  bool ok = plain_cache_ ? plain_cache_->verify(*user, *creds, p->password) : verify_password(*creds, p->password);
  if (!ok || !known) {
    auto f = fail(SaslCondition::not_authorized, "wrong user or password for '" + *user + "'");
    f.user = *user;
    return f;
  }
  SaslStep s;
  s.kind = SaslStep::Kind::success;
  s.user = *user;
  return s;
}

SaslStep SaslExchange::client_first(std::string_view data) {
  auto first = scram_->receive_client_first(data);
  if (!first) return fail(first.failure().condition, first.failure().text);
  auto user = prepare_localpart(first->username);
  std::optional<ScramCredentials> creds;
  if (user) {
    user_ = *user;
    creds = store_.credentials(user_, hash_);
  } else {
    user_ = first->username;
  }
  SaslStep s;
  s.kind = SaslStep::Kind::challenge;
  s.data = scram_->server_first(creds ? &*creds : nullptr);
  awaiting_final_ = true;
  return s;
}

SaslStep SaslExchange::respond(std::string_view data) {
  if (plain_pending_) return plain(data);
  if (!scram_) return fail(SaslCondition::malformed_request, "response without auth");
  if (!awaiting_final_) return client_first(data);
  auto final = scram_->receive_client_final(data);
  scram_.reset();
  awaiting_final_ = false;
  if (!final) {
    auto f = fail(final.failure().condition, "wrong user or password for '" + user_ + "'");
    f.user = user_;
    return f;
  }
  SaslStep s;
  s.kind = SaslStep::Kind::success;
  s.data = *final;
  s.user = user_;
  return s;
}

}  // namespace convene::xmpp
