#include "xmpp/session_registry.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace convene::xmpp {
namespace {

class FakeSession final : public Session {
 public:
  explicit FakeSession(std::string jid, std::uint64_t node = 0) : jid_(*Jid::parse(jid)), node_(node) {}
  void deliver(std::string_view bytes) override { received.emplace_back(bytes); }
  const Jid& jid() const override { return jid_; }
  bool available() const override { return true; }
  int priority() const override { return 0; }
  std::string presence() const override { return {}; }
  std::mutex& state_mutex() const override { return mu_; }
  bool available_unlocked() const override { return true; }
  int priority_unlocked() const override { return 0; }
  std::uint64_t node() const override { return node_; }

  std::vector<std::string> received;

 private:
  Jid jid_;
  std::uint64_t node_;
  mutable std::mutex mu_;
};

class RecordingObserver final : public SessionObserver {
 public:
  explicit RecordingObserver(SessionRegistry* registry = nullptr) : registry_(registry) {}
  void on_bound(const Session& s) override { record("bound " + s.jid().full()); }
  void on_presence_changed(const Session& s) override { record("presence " + s.jid().full()); }
  void on_unbound(const Jid& jid) override { record("unbound " + jid.full()); }
  void on_component_up(const std::string& d) override { record("up " + d); }
  void on_component_down(const std::string& d) override { record("down " + d); }

  std::vector<std::string> events;
  std::vector<size_t> sessions_seen;  // the registry's count when told (it may be read from a hook)

 private:
  void record(std::string e) {
    events.push_back(std::move(e));
    if (registry_) sessions_seen.push_back(registry_->counts().local_sessions);
  }
  SessionRegistry* registry_;
};

TEST(SessionRegistry, BindUnbindAndObservers) {
  SessionRegistry r;
  auto observer = std::make_shared<RecordingObserver>(&r);
  r.add_observer(observer);
  auto a = std::make_shared<FakeSession>("alice@example.com/phone");
  auto b = std::make_shared<FakeSession>("alice@example.com/laptop");
  EXPECT_EQ(r.bind(a), nullptr);
  EXPECT_EQ(r.bind(b), nullptr);
  EXPECT_EQ(r.sessions_of("alice@example.com").size(), 2u);
  r.presence_changed(*a);
  r.unbind(*a, "");
  EXPECT_EQ(r.sessions_of("alice@example.com").size(), 1u);
  r.unbind(*a, "");  // not bound any more: no second notice
  r.unbind(*b, "");
  EXPECT_TRUE(r.sessions_of("alice@example.com").empty());
  EXPECT_EQ(observer->events,
            (std::vector<std::string>{"bound alice@example.com/phone", "bound alice@example.com/laptop",
                                      "presence alice@example.com/phone", "unbound alice@example.com/phone",
                                      "unbound alice@example.com/laptop"}));
  // Hooks run after the change and outside the registry's lock.
  EXPECT_EQ(observer->sessions_seen, (std::vector<size_t>{1, 2, 2, 1, 0}));

  r.remove_observer(observer.get());
  r.bind(a);
  EXPECT_EQ(observer->events.size(), 5u);
}

// A registry with an observer and a bound session, and a second session for the same full JID.
struct TwoSessionsOfOneJid : ::testing::Test {
  void bind_first(const std::string& jid) {
    r.add_observer(observer);
    old_session = std::make_shared<FakeSession>(jid);
    new_session = std::make_shared<FakeSession>(jid);
    r.bind(old_session);
  }
  SessionRegistry r;
  std::shared_ptr<RecordingObserver> observer = std::make_shared<RecordingObserver>();
  std::shared_ptr<FakeSession> old_session, new_session;
};

TEST_F(TwoSessionsOfOneJid, TheNewestBindReplacesTheOlder) {
  bind_first("bob@example.com/res");
  EXPECT_EQ(r.bind(new_session), old_session);
  auto list = r.sessions_of("bob@example.com");
  ASSERT_EQ(list.size(), 1u);
  EXPECT_EQ(list[0], new_session);
  // The replaced session ending later does not unbind the JID.
  r.unbind(*old_session, "");
  EXPECT_EQ(r.sessions_of("bob@example.com").size(), 1u);
  EXPECT_EQ(observer->events,
            (std::vector<std::string>{"bound bob@example.com/res", "bound bob@example.com/res"}));
}

TEST(SessionRegistry, ALocalBindDoesNotReplaceARemoteSession) {
  SessionRegistry r;
  auto remote = std::make_shared<FakeSession>("bob@example.com/res", 7);
  r.add_remote_session(remote);
  auto local = std::make_shared<FakeSession>("bob@example.com/res");
  EXPECT_EQ(r.bind(local), nullptr);
  EXPECT_EQ(r.sessions_of("bob@example.com").size(), 2u);
  auto counts = r.counts();
  EXPECT_EQ(counts.local_sessions, 1u);
  EXPECT_EQ(counts.remote_sessions, 1u);
  r.clear_remote();
  EXPECT_EQ(r.sessions_of("bob@example.com"), (std::vector<std::shared_ptr<Session>>{local}));
}

TEST(SessionRegistry, AFullJidBoundHereIsHeldHereBesideItsOldNodesEntry) {
  // The full JID moved here from member 7, whose entry has not gone yet.
  SessionRegistry r;
  r.add_remote_session(std::make_shared<FakeSession>("bob@example.com/res", 7));
  r.bind(std::make_shared<FakeSession>("bob@example.com/res"));
  EXPECT_EQ(r.holder(*Jid::parse("bob@example.com/res")), std::optional<std::uint64_t>(0));
}

TEST_F(TwoSessionsOfOneJid, ResumeMovesTheSessionToItsSuccessor) {
  bind_first("carol@example.com/res");
  auto& successor = new_session;
  r.add_resumable("sm1", old_session);

  EXPECT_EQ(r.resume("nope", successor, [](Session&) { return true; }), nullptr);
  EXPECT_EQ(r.resume("sm1", successor, [](Session&) { return false; }), nullptr);
  Session* seen = nullptr;
  EXPECT_EQ(r.resume("sm1", successor,
                     [&](Session& old) {
                       seen = &old;
                       return true;
                     }),
            old_session);
  EXPECT_EQ(seen, old_session.get());
  EXPECT_EQ(r.sessions_of("carol@example.com"), (std::vector<std::shared_ptr<Session>>{successor}));
  // The resumable id now names the successor; unbinding the old one leaves it alone.
  r.unbind(*old_session, "sm1");
  EXPECT_EQ(r.resume("sm1", old_session, [](Session&) { return true; }), successor);
  EXPECT_EQ(observer->events, (std::vector<std::string>{"bound carol@example.com/res"}));
}

TEST(SessionRegistry, UnbindForgetsItsResumableId) {
  SessionRegistry r;
  auto s = std::make_shared<FakeSession>("dave@example.com/res");
  r.bind(s);
  r.add_resumable("sm2", s);
  r.unbind(*s, "sm2");
  EXPECT_EQ(r.resume("sm2", s, [](Session&) { return true; }), nullptr);
}

TEST(SessionRegistry, DeliveringLookUps) {
  SessionRegistry r;
  auto a = std::make_shared<FakeSession>("erin@example.com/a");
  auto remote = std::make_shared<FakeSession>("erin@example.com/b", 9);
  r.bind(a);
  r.add_remote_session(remote);

  size_t seen = 0;
  EXPECT_TRUE(r.with_sessions("erin@example.com", [&](std::span<const std::shared_ptr<Session>> list) {
    seen = list.size();
    for (auto& s : list) s->deliver("hi");
  }));
  EXPECT_EQ(seen, 2u);
  EXPECT_FALSE(r.with_sessions("nobody@example.com", [&](auto) { ADD_FAILURE(); }));
  EXPECT_EQ(a->received, (std::vector<std::string>{"hi"}));

  EXPECT_TRUE(r.deliver_to_session(*Jid::parse("erin@example.com/a"), "x"));
  EXPECT_FALSE(r.deliver_to_session(*Jid::parse("erin@example.com/b"), "x"));  // not this node's
  EXPECT_FALSE(r.deliver_to_session(*Jid::parse("erin@example.com/c"), "x"));
  EXPECT_EQ(a->received.size(), 2u);
  EXPECT_EQ(remote->received.size(), 1u);

  EXPECT_EQ(r.holder(*Jid::parse("erin@example.com/a")), std::optional<std::uint64_t>(0));
  EXPECT_EQ(r.holder(*Jid::parse("erin@example.com/b")), std::optional<std::uint64_t>(9));
  EXPECT_EQ(r.holder(*Jid::parse("erin@example.com/c")), std::nullopt);
  EXPECT_FALSE(r.send_to_component("cb1.example.com", "x"));
}

TEST(SessionRegistry, RemoteComponentClaims) {
  SessionRegistry r;
  r.set_remote_component("cb1.example.com", 3);
  EXPECT_EQ(r.remote_component("cb1.example.com"), std::optional<std::uint64_t>(3));
  EXPECT_EQ(r.holder(*Jid::parse("cb1.example.com")), std::optional<std::uint64_t>(3));
  r.drop_remote_component("cb1.example.com", 4, 0);  // not its claim
  EXPECT_EQ(r.remote_component("cb1.example.com"), std::optional<std::uint64_t>(3));
  r.drop_remote_component("cb1.example.com", 3, 5);  // the remaining claim wins
  EXPECT_EQ(r.remote_component("cb1.example.com"), std::optional<std::uint64_t>(5));
  r.drop_remote_component("cb1.example.com", 5, 0);
  EXPECT_EQ(r.remote_component("cb1.example.com"), std::nullopt);
  EXPECT_EQ(r.holder(*Jid::parse("cb1.example.com")), std::nullopt);
}

}  // namespace
}  // namespace convene::xmpp
