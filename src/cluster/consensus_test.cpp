// Three real members in one process: each with its own libuv loop thread, data
// directory and loopback address (127.0.1.1-3), raft over mutual TLS with
// certificates made at test time. Every wait is on an event with a bounded
// timeout (a timeout is a failure), never a sleep.
#include "cluster/consensus.h"

#include <gtest/gtest.h>

#include <condition_variable>
#include <mutex>

#include <unistd.h>

#include "tls/test_certs.h"
#include "util/testing.h"

namespace convene::cluster {
namespace {

using namespace std::chrono_literals;
using convene::testing::TempDir;

// One notifier per test: every state-machine apply and consensus event wakes waiters.
struct Notifier {
  std::mutex mutex;
  std::condition_variable cv;
  void notify() {
    std::lock_guard lock(mutex);
    cv.notify_all();
  }
  template <class Pred>
  bool wait(Pred pred, std::chrono::milliseconds timeout = 10s) {
    std::unique_lock lock(mutex);
    return cv.wait_for(lock, timeout, [&] { return pred(); });
  }
};

class RecordingMachine : public StateMachine {
 public:
  explicit RecordingMachine(Notifier& n) : notifier_(n) {}
  std::string apply(std::string_view command) override {
    {
      std::lock_guard lock(mutex_);
      applied_.emplace_back(command);
    }
    notifier_.notify();
    return "applied:" + std::string(command);
  }
  std::string snapshot() override {
    std::lock_guard lock(mutex_);
    std::string out;
    for (auto& c : applied_) out += c + "\n";
    return out;
  }
  void restore(std::string_view snap) override {
    std::lock_guard lock(mutex_);
    applied_.clear();
    size_t pos = 0;
    while (pos < snap.size()) {
      size_t nl = snap.find('\n', pos);
      applied_.emplace_back(snap.substr(pos, nl - pos));
      pos = nl + 1;
    }
  }
  std::vector<std::string> applied() {
    std::lock_guard lock(mutex_);
    return applied_;
  }

 private:
  Notifier& notifier_;
  std::mutex mutex_;
  std::vector<std::string> applied_;
};

// Certificates shared by all tests (made once: the openssl CLI takes ~50 ms a call).
struct Pki {
  TempDir dir;
  convene::testing::TestCert ca, rogue_ca, n[4], rogue, shared, intruder;
  std::filesystem::path leaf_bundle;
  Pki() {
    ca = convene::testing::make_ca(dir.path(), "ca");
    rogue_ca = convene::testing::make_ca(dir.path(), "rogue-ca");
    // Each node's certificate names its address (peer_identity.h: "named").
    for (int i = 1; i <= 3; ++i)
      n[i] = convene::testing::make_leaf(dir.path(), "node" + std::to_string(i), ca,
                                         "DNS:node" + std::to_string(i) + ",IP:127.0.1." + std::to_string(i));
    // From the same CA, for another name: chains, but names no member.
    intruder = convene::testing::make_leaf(dir.path(), "intruder", ca, "DNS:intruder.example");
    rogue = convene::testing::make_leaf(dir.path(), "rogue", rogue_ca);
    shared = convene::testing::make_self_signed(dir.path(), "abhiall");
    leaf_bundle = convene::testing::concat_files(dir / "peers.pem", {n[1].cert, n[2].cert, n[3].cert});
  }
};

Pki& pki() {
  static Pki* p = new Pki;
  return *p;
}

struct Node {
  std::uint64_t id;
  std::string address;
  TempDir data;
  std::shared_ptr<RecordingMachine> machine;
  std::unique_ptr<Consensus> consensus;
};

class ConsensusTest : public ::testing::Test {
 protected:
  // Starts member `i` (1..3) at 127.0.1.i:port with the given files.
  // `data_dir` empty: a fresh directory of the node's own.
  Node& start(int i, tls::TlsFiles files, bool bootstrap, std::chrono::milliseconds request_timeout = 5000ms,
              std::filesystem::path data_dir = {}) {
    auto& node = nodes_[i];
    node = std::make_unique<Node>();
    node->id = static_cast<std::uint64_t>(i);
    node->address = "127.0.1." + std::to_string(i) + ":" + std::to_string(port_);
    node->machine = std::make_shared<RecordingMachine>(notifier_);
    auto tls = tls::TlsContextSource::open(files);
    EXPECT_TRUE(tls) << tls.error().text();
    ConsensusConfig config;
    config.id = node->id;
    config.address = node->address;
    config.data_dir = data_dir.empty() ? node->data / "raft" : data_dir;
    config.tls = *tls;
    config.state_machine = node->machine;
    config.bootstrap = bootstrap;
    config.request_timeout = request_timeout;
    config.on_change = [this](const ConsensusStatus&) { notifier_.notify(); };
    config.on_message = [this, i](std::uint64_t from, std::string message) {
      {
        std::lock_guard lock(messages_mutex_);
        messages_[i].push_back(std::to_string(from) + ":" + message);
      }
      notifier_.notify();
    };
    auto c = start_consensus(std::move(config));
    if (!c) throw std::runtime_error("cannot start member: " + c.error().text());
    node->consensus = std::move(*c);
    return *node;
  }
  tls::TlsFiles ca_files(int i) { return {pki().n[i].key, pki().n[i].cert, pki().ca.cert}; }

  Consensus& c(int i) { return *nodes_[i]->consensus; }
  bool is_voter_count(int i, size_t voters) {
    auto s = c(i).status();
    size_t v = 0;
    for (auto& m : s.members) v += m.voter;
    return v == voters && s.leader_id != 0;
  }
  // Index of the member that is leader per its own view, or 0.
  int leader() {
    for (auto& [i, n] : nodes_)
      if (n && n->consensus && n->consensus->status().role == Role::leader) return i;
    return 0;
  }
  void make_three(std::function<tls::TlsFiles(int)> files) {
    start(1, files(1), true);
    ASSERT_TRUE(notifier_.wait([&] { return c(1).status().role == Role::leader; })) << "no first leader";
    for (int i = 2; i <= 3; ++i) {
      start(i, files(i), false);
      auto joined = c(i).join(nodes_[1]->address).get();
      ASSERT_TRUE(joined) << joined.error().text();
    }
    ASSERT_TRUE(notifier_.wait([&] { return is_voter_count(1, 3) && is_voter_count(2, 3) && is_voter_count(3, 3); }))
        << "members never agreed on three voters";
  }

  std::vector<std::string> messages(int i) {
    std::lock_guard lock(messages_mutex_);
    return messages_[i];
  }

  Notifier notifier_;
  std::mutex messages_mutex_;
  std::map<int, std::vector<std::string>> messages_;  // received by member i: "from:message"
  std::map<int, std::unique_ptr<Node>> nodes_;
  // A port of its own for every test of every run (several runs may share the
  // machine), above the ephemeral range (32768-60999) that outgoing connections use.
  static int next_port() {
    static int counter = 0;
    return 61000 + static_cast<int>(::getpid() % 200) * 20 + counter++;
  }
  int port_ = next_port();
};

TEST_F(ConsensusTest, CommandsSubmittedOnAFollowerAreAppliedEverywhereInOrder) {
  make_three([&](int i) { return ca_files(i); });
  int l = leader();
  ASSERT_NE(l, 0);
  int follower = l == 2 ? 3 : 2;
  std::vector<std::future<Result<std::string>>> results;
  for (int k = 0; k < 20; ++k) results.push_back(c(follower).submit("cmd" + std::to_string(k)));
  for (int k = 0; k < 20; ++k) {
    auto r = results[k].get();
    ASSERT_TRUE(r) << r.error().text();
    EXPECT_EQ(*r, "applied:cmd" + std::to_string(k));  // the leader's state machine result
  }
  ASSERT_TRUE(notifier_.wait([&] {
    return nodes_[1]->machine->applied().size() == 20 && nodes_[2]->machine->applied().size() == 20 &&
           nodes_[3]->machine->applied().size() == 20;
  }));
  EXPECT_EQ(nodes_[1]->machine->applied(), nodes_[2]->machine->applied());
  EXPECT_EQ(nodes_[1]->machine->applied(), nodes_[3]->machine->applied());
  // Status as the seed's `xmpp cluster status` needs it: keep-alive ages from the leader.
  auto s = c(l).status();
  ASSERT_EQ(s.members.size(), 3u);
  for (auto& m : s.members) {
    if (m.id == s.id) continue;
    ASSERT_TRUE(m.last_contact_age.has_value());
    EXPECT_LT(m.last_contact_age->count(), 300);
  }
}

TEST_F(ConsensusTest, LeaderStopElectsNewLeaderAndCommandsContinue) {
  make_three([&](int i) { return ca_files(i); });
  int old = leader();
  ASSERT_NE(old, 0);
  auto before = c(old).status().term;
  auto t0 = std::chrono::steady_clock::now();
  nodes_[old]->consensus->stop();
  int a = old == 1 ? 2 : 1, b = 6 - old - a;
  ASSERT_TRUE(notifier_.wait([&] {
    auto sa = c(a).status(), sb = c(b).status();
    return (sa.role == Role::leader || sb.role == Role::leader) && sa.leader_id == sb.leader_id &&
           sa.leader_id != static_cast<std::uint64_t>(old);
  }, 5s)) << "no new leader";
  auto elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0);
  // A figure, not a pass mark (how fast is bench/xmpp-cluster-failover.py's to say):
  // on a loaded 2-core machine the election once took 1.9 s, within the wait above.
  std::printf("[ measure  ] new leader %lld ms after the leader stopped\n", static_cast<long long>(elapsed.count()));
  EXPECT_GT(c(a).status().term, before);
  auto r = c(a).submit("after-failover").get();
  ASSERT_TRUE(r) << r.error().text();
  ASSERT_TRUE(notifier_.wait([&] {
    auto x = nodes_[a]->machine->applied(), y = nodes_[b]->machine->applied();
    return !x.empty() && x.back() == "after-failover" && x == y;
  }));
}

// A crash (kill -9) leaves raft's open segments as they are on disk; copying a
// running member's data directory gives exactly that state. Commands of every
// length mod 8 are in the log: raft 0.15's loader mis-reads unaligned entries
// (entry_framing.h), which once made a restarted leader reload a one-member
// configuration and elect itself alone.
TEST_F(ConsensusTest, MemberRestartedFromACrashedDataDirectoryKeepsItsLogAndMembers) {
  make_three([&](int i) { return ca_files(i); });
  int l = leader();
  ASSERT_NE(l, 0);
  for (int k = 0; k < 9; ++k) {
    auto r = c(l).submit(std::string(static_cast<size_t>(k), 'c')).get();
    ASSERT_TRUE(r) << r.error().text();
  }
  TempDir crash;
  std::filesystem::copy(nodes_[l]->data / "raft", crash / "raft", std::filesystem::copy_options::recursive);
  auto before = nodes_[l]->machine->applied();
  ASSERT_EQ(before.size(), 9u);
  nodes_[l]->consensus->stop();
  int a = l == 1 ? 2 : 1;
  ASSERT_TRUE(notifier_.wait([&] { return c(a).status().leader_id != 0 && c(a).status().leader_id != std::uint64_t(l); }))
      << "no new leader";
  start(l, ca_files(l), l == 1, 5000ms, crash / "raft");
  ASSERT_TRUE(notifier_.wait([&] {
    auto s = c(l).status();
    return s.role == Role::follower && s.members.size() == 3 && s.leader_id != 0 &&
           nodes_[l]->machine->applied().size() >= before.size();
  })) << "restarted member: " << role_name(c(l).status().role) << ", " << c(l).status().members.size()
      << " members, " << nodes_[l]->machine->applied().size() << " commands applied";
  EXPECT_EQ(nodes_[l]->machine->applied(), before);
}

TEST_F(ConsensusTest, MessagesBetweenMembersArriveInOrderAndSurviveAReceiverRestart) {
  make_three([&](int i) { return ca_files(i); });
  std::vector<std::string> expected;
  for (int k = 0; k < 200; ++k) {
    c(2).send_message(3, "m" + std::to_string(k));
    expected.push_back("2:m" + std::to_string(k));
  }
  c(2).send_message(99, "to nobody");  // not a member: dropped
  ASSERT_TRUE(notifier_.wait([&] { return messages(3).size() >= expected.size(); }));
  EXPECT_EQ(messages(3), expected);
  // The receiver restarts (same directory): the sender's link is re-dialed.
  auto dir = nodes_[3]->data / "raft";
  auto keep = std::move(nodes_[3]);
  keep->consensus->stop();
  start(3, ca_files(3), false, 5000ms, dir);
  ASSERT_TRUE(notifier_.wait([&] { return c(3).status().leader_id != 0; }));
  // Best effort: a message written before the sender noticed the old connection
  // close may be lost, so send again until one arrives (bounded).
  auto arrived = [&] {
    auto m = messages(3);
    return !m.empty() && m.back() == "2:again";
  };
  for (int attempt = 0; attempt < 50 && !arrived(); ++attempt) {
    c(2).send_message(3, "again");
    notifier_.wait(arrived, 200ms);
  }
  EXPECT_TRUE(arrived()) << "no message after the receiver restarted";
}

TEST_F(ConsensusTest, MemberRemovedWhileDownLearnsItWhenItRestarts) {
  make_three([&](int i) { return ca_files(i); });
  int l = leader();
  int victim = l == 3 ? 2 : 3;
  auto dir = nodes_[victim]->data / "raft";
  auto keep = std::move(nodes_[victim]);
  keep->consensus->stop();
  auto removed = c(l).remove(static_cast<std::uint64_t>(victim)).get();
  ASSERT_TRUE(removed) << removed.error().text();
  // It comes back with a log that still lists it as a voter: the leader tells it.
  start(victim, ca_files(victim), false, 5000ms, dir);
  ASSERT_TRUE(notifier_.wait([&] { return c(victim).status().removed; })) << "the removed member campaigns on";
  EXPECT_EQ(c(l).status().members.size(), 2u);
}

TEST_F(ConsensusTest, PeerWithCertificateFromAnotherCaCannotJoin) {
  start(1, ca_files(1), true);
  ASSERT_TRUE(notifier_.wait([&] { return c(1).status().role == Role::leader; }));
  start(2, {pki().rogue.key, pki().rogue.cert, pki().ca.cert}, false, 1500ms);
  auto joined = c(2).join(nodes_[1]->address).get();
  ASSERT_FALSE(joined);
  EXPECT_NE(joined.error().message.find("cannot join"), std::string::npos) << joined.error().message;
  EXPECT_EQ(c(1).status().members.size(), 1u);
}

TEST_F(ConsensusTest, CertificateFromTheSameCaForAnotherNameCannotJoin) {
  start(1, ca_files(1), true);
  ASSERT_TRUE(notifier_.wait([&] { return c(1).status().role == Role::leader; }));
  // Member 2's address, the CA's signature, but a certificate naming another host.
  start(2, {pki().intruder.key, pki().intruder.cert, pki().ca.cert}, false, 1500ms);
  auto joined = c(2).join(nodes_[1]->address).get();
  ASSERT_FALSE(joined);
  EXPECT_NE(joined.error().message.find("may not join"), std::string::npos) << joined.error().message;
  EXPECT_EQ(c(1).status().members.size(), 1u);
}

TEST_F(ConsensusTest, TrustBundleOfPeersOwnCertificatesWorks) {
  make_three([&](int i) { return tls::TlsFiles{pki().n[i].key, pki().n[i].cert, pki().leaf_bundle}; });
  auto r = c(2).submit("x").get();
  ASSERT_TRUE(r) << r.error().text();
}

TEST_F(ConsensusTest, OneSharedSelfSignedCertificateWorks) {
  make_three([&](int) { return tls::TlsFiles{pki().shared.key, pki().shared.cert, pki().shared.cert}; });
  auto r = c(3).submit("y").get();
  ASSERT_TRUE(r) << r.error().text();
}

TEST_F(ConsensusTest, RemovedMemberShutsItselfDown) {
  make_three([&](int i) { return ca_files(i); });
  int l = leader();
  int victim = l == 3 ? 2 : 3;
  int asker = 6 - l - victim;  // a follower asks: forwarded to the leader
  auto removed = c(asker).remove(static_cast<std::uint64_t>(victim)).get();
  ASSERT_TRUE(removed) << removed.error().text();
  ASSERT_TRUE(notifier_.wait([&] { return c(victim).status().removed; })) << "removed node kept running";
  EXPECT_EQ(c(victim).status().role, Role::unavailable);
  ASSERT_TRUE(notifier_.wait([&] { return c(l).status().members.size() == 2; }));
  auto r = c(asker).submit("after-removal").get();
  ASSERT_TRUE(r) << r.error().text();
}

}  // namespace
}  // namespace convene::cluster
