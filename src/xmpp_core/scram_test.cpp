#include "xmpp_core/scram.h"

#include <gtest/gtest.h>

#include "xmpp_core/base64.h"

namespace convene::xmpp {
namespace {

TEST(Base64, RoundTripAndStrictness) {
  for (std::string_view s : {"", "f", "fo", "foo", "foob", "fooba", "foobar"}) {
    auto d = base64_decode(base64_encode(s));
    ASSERT_TRUE(d) << s;
    EXPECT_EQ(*d, s);
  }
  EXPECT_EQ(base64_encode("foobar"), "Zm9vYmFy");
  EXPECT_EQ(base64_encode(std::string("\0\xff", 2)), "AP8=");
  for (std::string_view bad : {"Zm9", "Zm9v YmFy", "Zm=v", "Zm9vYg=a", "Zm9vY===", "Zh==",
                               "Zm9v\n", "****"}) {
    EXPECT_FALSE(base64_decode(bad)) << bad;
  }
}

// RFC 5802 §5, SCRAM-SHA-1, user "user", password "pencil".
TEST(Scram, Rfc5802Sha1Vector) {
  const std::string salt = *base64_decode("QSXCR+Q6sek8bf92");
  auto creds = derive_credentials(ScramHash::sha1, "pencil", salt, 4096);
  ASSERT_TRUE(creds);

  ScramClient client(ScramHash::sha1, "user", "pencil", {}, "fyko+d2lbbFgONRv9qkxdawL");
  ScramServer server(ScramHash::sha1, "3rfcNHYJY1ZVvWVs7j");
  std::string c1 = client.client_first();
  EXPECT_EQ(c1, "n,,n=user,r=fyko+d2lbbFgONRv9qkxdawL");
  auto first = server.receive_client_first(c1);
  ASSERT_TRUE(first);
  EXPECT_EQ(first->username, "user");
  std::string s1 = server.server_first(&*creds);
  EXPECT_EQ(s1, "r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,s=QSXCR+Q6sek8bf92,i=4096");
  auto c2 = client.receive_server_first(s1);
  ASSERT_TRUE(c2) << c2.error().message;
  EXPECT_EQ(*c2,
            "c=biws,r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,"
            "p=v0X8v3Bz2T0CJGbJQyF0X+HI4Ts=");
  auto s2 = server.receive_client_final(*c2);
  ASSERT_TRUE(s2) << s2.failure().text;
  EXPECT_EQ(*s2, "v=rmF9pqV8S7suAoZWja4dJRkFsKQ=");
  EXPECT_TRUE(client.receive_server_final(*s2));
}

// RFC 7677 §3, SCRAM-SHA-256, same user and password.
TEST(Scram, Rfc7677Sha256Vector) {
  const std::string salt = *base64_decode("W22ZaJ0SNY7soEsUEjb6gQ==");
  auto creds = derive_credentials(ScramHash::sha256, "pencil", salt, 4096);
  ASSERT_TRUE(creds);
  ScramClient client(ScramHash::sha256, "user", "pencil", {}, "rOprNGfwEbeRWgbNEkqO");
  ScramServer server(ScramHash::sha256, "%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0");
  ASSERT_TRUE(server.receive_client_first(client.client_first()));
  std::string s1 = server.server_first(&*creds);
  EXPECT_EQ(s1,
            "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,"
            "s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096");
  auto c2 = client.receive_server_first(s1);
  ASSERT_TRUE(c2);
  EXPECT_EQ(*c2,
            "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,"
            "p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=");
  auto s2 = server.receive_client_final(*c2);
  ASSERT_TRUE(s2);
  EXPECT_EQ(*s2, "v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=");
  EXPECT_TRUE(client.receive_server_final(*s2));
}

struct Exchange {
  bool server_ok = false;
  bool client_ok = false;
  SaslCondition condition = SaslCondition::aborted;
};

Exchange login(ScramHash hash, const ScramCredentials* creds, std::string user,
               std::string password, std::string authzid = {}) {
  Exchange e;
  ScramClient client(hash, user, password, authzid);
  ScramServer server(hash);
  auto first = server.receive_client_first(client.client_first());
  EXPECT_TRUE(first);
  EXPECT_EQ(first->username, user);
  EXPECT_EQ(first->authzid, authzid);
  auto c2 = client.receive_server_first(server.server_first(creds));
  EXPECT_TRUE(c2);
  auto s2 = server.receive_client_final(*c2);
  e.server_ok = s2.ok();
  if (s2) {
    e.client_ok = client.receive_server_final(*s2).ok();
  } else {
    e.condition = s2.failure().condition;
  }
  return e;
}

TEST(Scram, FullExchangesAndWrongPassword) {
  for (ScramHash hash : {ScramHash::sha1, ScramHash::sha256}) {
    auto creds = make_credentials(hash, "s3cret, with=odd chars", 4096);
    ASSERT_TRUE(creds);
    Exchange good = login(hash, &*creds, "ali,ce=1", "s3cret, with=odd chars", "ali,ce=1@x");
    EXPECT_TRUE(good.server_ok);
    EXPECT_TRUE(good.client_ok);
    Exchange wrong = login(hash, &*creds, "alice", "s3cret");
    EXPECT_FALSE(wrong.server_ok);
    EXPECT_EQ(wrong.condition, SaslCondition::not_authorized);
    Exchange unknown = login(hash, nullptr, "nobody", "x");
    EXPECT_FALSE(unknown.server_ok);
    EXPECT_EQ(unknown.condition, SaslCondition::not_authorized);
  }
}

TEST(Scram, DecoyChallengeLooksStable) {
  ScramServer a(ScramHash::sha256), b(ScramHash::sha256);
  ASSERT_TRUE(a.receive_client_first("n,,n=ghost,r=abc"));
  ASSERT_TRUE(b.receive_client_first("n,,n=ghost,r=abc"));
  std::string sa = a.server_first(nullptr), sb = b.server_first(nullptr);
  EXPECT_EQ(sa.substr(sa.find(",s=")), sb.substr(sb.find(",s=")));
}

TEST(Scram, ClientDetectsImpostorServer) {
  auto real = make_credentials(ScramHash::sha256, "pw");
  ScramClient client(ScramHash::sha256, "u", "pw");
  ScramServer server(ScramHash::sha256);
  ASSERT_TRUE(server.receive_client_first(client.client_first()));
  ASSERT_TRUE(client.receive_server_first(server.server_first(&*real)));
  EXPECT_FALSE(client.receive_server_final("v=" + base64_encode(std::string(32, 'x'))));
  EXPECT_FALSE(client.receive_server_final("e=invalid-proof"));
}

TEST(Scram, ServerRejectsMalformedMessages) {
  auto creds = make_credentials(ScramHash::sha1, "pencil");
  for (std::string_view bad : {"", "n", "n,,", "x,,n=u,r=a", "n,,m=ext,n=u,r=a", "n,,r=a,n=u",
                               "n,,n=a=2Bb,r=x", "n,,n=,r=x", "n,,n=u,r=", "n,b=x,n=u,r=a"}) {
    ScramServer s(ScramHash::sha1);
    EXPECT_FALSE(s.receive_client_first(bad)) << bad;
  }
  ScramServer pcb(ScramHash::sha1);
  EXPECT_FALSE(pcb.receive_client_first("p=tls-exporter,,n=u,r=a"));
  ScramServer y(ScramHash::sha1);
  EXPECT_TRUE(y.receive_client_first("y,,n=u,r=a"));

  // Tampered final messages: nonce, channel binding, proof.
  auto final_for = [&](auto mutate) {
    ScramClient client(ScramHash::sha1, "u", "pencil");
    ScramServer server(ScramHash::sha1);
    EXPECT_TRUE(server.receive_client_first(client.client_first()));
    std::string c2 = *client.receive_server_first(server.server_first(&*creds));
    mutate(c2);
    return server.receive_client_final(c2);
  };
  EXPECT_TRUE(final_for([](std::string&) {}));
  EXPECT_FALSE(final_for([](std::string& m) { m.replace(0, 6, "c=eSws"); }));  // "y,,"
  EXPECT_FALSE(final_for([](std::string& m) { m.insert(m.find(",p="), "X"); }));
  EXPECT_FALSE(final_for([](std::string& m) { m[m.size() - 5] ^= 1; }));
  EXPECT_FALSE(final_for([](std::string& m) { m.erase(m.find(",p=")); }));
  // Steps out of order.
  ScramServer early(ScramHash::sha1);
  EXPECT_FALSE(early.receive_client_final("c=biws,r=x,p=AAAA"));
}

TEST(Scram, ClientRejectsBadChallenges) {
  for (std::string_view bad : {"r=other,s=QSXCR+Q6sek8bf92,i=4096",
                               "r=abc,s=QSXCR+Q6sek8bf92,i=4096",
                               "r=abcdef,s=!!!,i=4096", "r=abcdef,s=QSXCR+Q6sek8bf92,i=0",
                               "r=abcdef,s=QSXCR+Q6sek8bf92,i=99999999999",
                               "r=abcdef,s=QSXCR+Q6sek8bf92", "garbage"}) {
    ScramClient c(ScramHash::sha1, "u", "p", {}, "abc");
    c.client_first();
    EXPECT_FALSE(c.receive_server_first(bad)) << bad;
  }
}

// The one parser of a server-first-message (convene-bench reads the salt and
// iteration count with it to look its key cache up): RFC 7677's example.
TEST(Scram, ParseServerFirstGivesNonceSaltAndIterations) {
  auto c = parse_server_first("r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096");
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_EQ(c->nonce, "rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0");
  EXPECT_EQ(c->salt, *base64_decode("W22ZaJ0SNY7soEsUEjb6gQ=="));
  EXPECT_EQ(c->iterations, 4096u);
  EXPECT_FALSE(parse_server_first("s=W22ZaJ0SNY7soEsUEjb6gQ==,r=abc,i=4096"));  // out of order
  EXPECT_FALSE(parse_server_first("r=abc,s=!!,i=4096"));                        // salt not base64
  EXPECT_FALSE(parse_server_first("r=abc,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=0"));
  EXPECT_FALSE(parse_server_first("r=abc,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=99999999999"));
}

TEST(Scram, SaltedPasswordCacheGivesTheSameProof) {
  auto creds = make_credentials(ScramHash::sha256, "pw");
  ScramClient first(ScramHash::sha256, "u", "pw", {}, "n1");
  ScramServer s1(ScramHash::sha256, "s");
  ASSERT_TRUE(s1.receive_client_first(first.client_first()));
  auto c2 = first.receive_server_first(s1.server_first(&*creds));
  ASSERT_TRUE(s1.receive_client_final(*c2));

  ScramClient second(ScramHash::sha256, "u", "WRONG-but-cached", {}, "n1");
  second.use_cached(first.salted_password());
  ScramServer s2(ScramHash::sha256, "s");
  ASSERT_TRUE(s2.receive_client_first(second.client_first()));
  auto again = second.receive_server_first(s2.server_first(&*creds));
  ASSERT_TRUE(again);
  EXPECT_EQ(*again, *c2);  // the cache was used, not the (wrong) password
}

TEST(Scram, CredentialsStorageRoundTrip) {
  auto creds = make_credentials(ScramHash::sha256, "pencil", 10000);
  ASSERT_TRUE(creds);
  std::string text = encode_credentials(*creds);
  EXPECT_EQ(text.rfind("SCRAM-SHA-256$10000:", 0), 0u);
  auto back = decode_credentials(text);
  ASSERT_TRUE(back);
  EXPECT_EQ(back->salt, creds->salt);
  EXPECT_EQ(back->stored_key, creds->stored_key);
  EXPECT_EQ(back->server_key, creds->server_key);
  EXPECT_EQ(back->iterations, 10000u);
  EXPECT_TRUE(verify_password(*back, "pencil"));
  EXPECT_FALSE(verify_password(*back, "Pencil"));
  for (std::string_view bad : {"", "SCRAM-SHA-256$x:AA==$AA==:AA==", "MD5$1:AA==$AA==:AA==",
                               "SCRAM-SHA-1$4096:QSXCR+Q6sek8bf92$AAAA:AAAA"}) {
    EXPECT_FALSE(decode_credentials(bad)) << bad;
  }
}

TEST(SaslPlain, Decode) {
  auto p = decode_plain(std::string("\0juliet\0r0m30", 13));
  ASSERT_TRUE(p);
  EXPECT_EQ(p->authzid, "");
  EXPECT_EQ(p->authcid, "juliet");
  EXPECT_EQ(p->password, "r0m30");
  auto z = decode_plain(std::string("admin@x\0juliet\0pw", 17));
  ASSERT_TRUE(z);
  EXPECT_EQ(z->authzid, "admin@x");
  for (std::string bad : {std::string("juliet"), std::string("\0juliet", 7),
                          std::string("\0\0pw", 4), std::string("\0j\0", 3),
                          std::string("\0j\0p\0", 5)}) {
    auto r = decode_plain(bad);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.failure().condition, SaslCondition::malformed_request);
  }
  EXPECT_EQ(condition_name(SaslCondition::not_authorized), "not-authorized");
}

}  // namespace
}  // namespace convene::xmpp

namespace convene::xmpp {
namespace {

TEST(Scram, PasswordsAreSaslprepped) {
  // "I<SOFT HYPHEN>X" and "IX" are one password after SASLprep (RFC 4013 §3).
  auto creds = make_credentials(ScramHash::sha256, "I\xC2\xADX-pass", 4096);
  ASSERT_TRUE(creds);
  EXPECT_TRUE(verify_password(*creds, "IX-pass"));
  EXPECT_FALSE(make_credentials(ScramHash::sha256, "bell\x07", 4096));
}

TEST(Scram, DecoyCredentialsCostAPbkdf2AndMatchNothing) {
  auto d = decoy_credentials(ScramHash::sha256, "nobody");
  EXPECT_EQ(d.iterations, kDefaultScramIterations);
  EXPECT_EQ(d.salt, decoy_credentials(ScramHash::sha256, "nobody").salt);  // stable per name
  EXPECT_NE(d.salt, decoy_credentials(ScramHash::sha256, "other").salt);
  auto before = pbkdf2_runs();
  EXPECT_FALSE(verify_password(d, "guess"));
  EXPECT_EQ(pbkdf2_runs(), before + 1);
}

}  // namespace
}  // namespace convene::xmpp
