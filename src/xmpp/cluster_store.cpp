#include "xmpp/cluster_store.h"

#include <atomic>
#include <future>
#include <map>
#include <mutex>
#include <shared_mutex>

#include "util/log.h"
#include "xmpp/store_commands.h"

namespace convene::xmpp {

using nlohmann::json;

namespace {

std::string encode_status(const Status& st) {
  if (st) return json{{"ok", true}}.dump();
  return json{{"error", st.error().message}, {"hint", st.error().hint}}.dump();
}

Status decode_status(const std::string& text) {
  json j = json::parse(text, nullptr, false);
  if (!j.is_object()) return make_error("the cluster answered something unreadable: " + text);
  if (j.value("ok", false)) return ok_status();
  return make_error(j.value("error", std::string("refused by the cluster")), j.value("hint", std::string()));
}

// The table as raft's state machine; also remembers the writes this node is
// waiting for, to finish them when they are applied here.
class Machine final : public cluster::StateMachine {
 public:
  explicit Machine(std::string origin) : origin_(std::move(origin)) {}

  std::string apply(std::string_view command) override {
    json entry = json::parse(command, nullptr, false);
    Status st = ok_status();
    std::string offline_user;
    if (!entry.is_object()) {
      st = make_error("unreadable cluster log entry");
    } else if (auto c = entry.find("c"); c != entry.end()) {
      st = state.apply(*c);
      if (st && c->is_object() && c->value("op", "") == "offline.push") offline_user = c->value("user", "");
    } else if (auto l = entry.find("load"); l != entry.end()) {
      auto restored = XmppState::restore(*l);
      if (restored)
        state = std::move(*restored);
      else
        st = restored.error();
    }  // "noop": nothing to do
    if (entry.is_object()) finish(entry.value("n", std::string()), st);
    if (!offline_user.empty()) offline.stored(offline_user);
    return encode_status(st);
  }

  std::string snapshot() override { return state.snapshot().dump(); }

  void restore(std::string_view snapshot) override {
    json j = json::parse(snapshot, nullptr, false);
    auto restored = XmppState::restore(j);
    if (!restored) {
      // Deterministic input from the leader: cannot happen unless versions differ.
      logger("xmpp")->error("cluster store: cannot restore a snapshot: {}", restored.error().message);
      return;
    }
    state = std::move(*restored);
    // A member that fell behind gets the messages stored offline meanwhile in the
    // snapshot, not one by one: its sessions hear of them all the same.
    for (auto& user : state.users())
      if (!state.offline_messages(user).empty()) offline.stored(user);
    // Our own entries may have been folded into the snapshot and will never be
    // applied one by one: finish those the leader already acknowledged.
    std::vector<std::pair<StoreDone, Status>> ready;
    {
      std::lock_guard lock(mutex_);
      ++restores_;
      for (auto it = pending_.begin(); it != pending_.end();) {
        if (it->second.leader_result) {
          ready.emplace_back(std::move(it->second.done), *it->second.leader_result);
          it = pending_.erase(it);
        } else {
          ++it;
        }
      }
    }
    for (auto& [done, st] : ready) done(st);
  }

  // Registers a write of this node; returns its nonce.
  std::string expect(StoreDone done) {
    std::lock_guard lock(mutex_);
    std::string nonce = origin_ + "-" + std::to_string(++seq_);
    pending_[nonce] = Pending{std::move(done), std::nullopt, restores_};
    return nonce;
  }

  // The leader's answer: an error ends the write; success waits for the local apply
  // (unless a snapshot already replaced the table since the write was sent).
  void leader_answered(const std::string& nonce, Status st, bool failed) {
    StoreDone done;
    {
      std::lock_guard lock(mutex_);
      auto it = pending_.find(nonce);
      if (it == pending_.end()) return;  // applied here already
      if (!failed && it->second.restores_at_submit == restores_) {
        it->second.leader_result = std::move(st);
        return;
      }
      done = std::move(it->second.done);
      pending_.erase(it);
    }
    done(st);
  }

  void fail_all(const Error& e) {
    std::map<std::string, Pending> pending;
    {
      std::lock_guard lock(mutex_);
      pending.swap(pending_);
    }
    for (auto& [nonce, p] : pending) p.done(e);
  }

  XmppState state;
  OfflineListener offline;  // XmppStore::on_offline_stored

 private:
  struct Pending {
    StoreDone done;
    std::optional<Status> leader_result;
    std::uint64_t restores_at_submit = 0;
  };

  void finish(const std::string& nonce, const Status& st) {
    if (nonce.empty()) return;
    StoreDone done;
    {
      std::lock_guard lock(mutex_);
      auto it = pending_.find(nonce);
      if (it == pending_.end()) return;
      done = std::move(it->second.done);
      pending_.erase(it);
    }
    done(st);
  }

  const std::string origin_;
  std::mutex mutex_;
  std::map<std::string, Pending> pending_;
  std::uint64_t seq_ = 0;
  std::uint64_t restores_ = 0;
};

// Incoming cluster messages go to whichever handler the XMPP service set last.
// A shared lock per call lets set() wait until no old handler is running.
class MessageDispatch {
 public:
  void call(std::uint64_t from, std::string message) {
    std::shared_lock lock(mu_);
    if (handler_) handler_(from, std::move(message));
  }
  void set(ClusterBus::MessageHandler handler) {
    std::unique_lock lock(mu_);
    handler_ = std::move(handler);
  }

 private:
  std::shared_mutex mu_;
  ClusterBus::MessageHandler handler_;
};

class ClusterStoreImpl final : public ClusterStore {
 public:
  ClusterStoreImpl(std::shared_ptr<Machine> machine, std::unique_ptr<cluster::Consensus> consensus,
                   std::shared_ptr<MessageDispatch> dispatch, std::uint64_t id,
                   std::chrono::milliseconds request_timeout, std::shared_ptr<tls::TlsContextSource> tls)
      : machine_(std::move(machine)), consensus_(std::move(consensus)), dispatch_(std::move(dispatch)), id_(id),
        request_timeout_(request_timeout), tls_(std::move(tls)) {}

  // ---- ClusterBus ----
  void send(std::uint64_t member, std::string message) override {
    consensus_->send_message(member, std::move(message));
  }
  void set_message_handler(MessageHandler handler) override { dispatch_->set(std::move(handler)); }
  void sync(std::function<void()> done) override {
    send(json{{"noop", true}}, [done = std::move(done)](Status) { done(); });
  }
  ~ClusterStoreImpl() override { stop(); }

  void submit(StoreCommand command, StoreDone done) override {
    send(json{{"c", std::move(command)}}, std::move(done));
  }

  Status load(const XmppState& state) override { return send_and_wait(json{{"load", state.snapshot()}}); }

  Status barrier() override { return send_and_wait(json{{"noop", true}}); }

  Status join(const std::string& member_address) override {
    auto joined = consensus_->join(member_address).get();
    if (!joined) return joined.error();
    return barrier();
  }

  Status leave() override {
    auto removed = consensus_->remove(id_).get();
    if (!removed) return removed.error();
    return ok_status();
  }

  cluster::ConsensusStatus status() const override { return consensus_->status(); }
  cluster::Consensus& consensus() override { return *consensus_; }
  std::shared_ptr<tls::TlsContextSource> tls() const override { return tls_; }

  void stop() override {
    if (stopped_.exchange(true)) return;
    consensus_->stop();
    machine_->fail_all(make_error("the XMPP cluster store is closed", "Run the command again."));
  }

  std::optional<ScramCredentials> credentials(std::string_view user, ScramHash hash) const override {
    return machine_->state.credentials(user, hash);
  }
  bool user_exists(std::string_view user) const override { return machine_->state.user_exists(user); }
  std::vector<std::string> users() const override { return machine_->state.users(); }
  std::vector<RosterItem> roster(std::string_view user) const override { return machine_->state.roster(user); }
  std::optional<RosterItem> roster_item(std::string_view user, std::string_view contact) const override {
    return machine_->state.roster_item(user, contact);
  }
  std::vector<OfflineMessage> offline_messages(std::string_view user) const override {
    return machine_->state.offline_messages(user);
  }
  std::optional<CallBridge> callbridge(std::string_view name) const override {
    return machine_->state.callbridge(name);
  }
  std::vector<CallBridge> callbridges() const override { return machine_->state.callbridges(); }
  void on_offline_stored(std::function<void(const std::string& user)> fn) override {
    machine_->offline.set(std::move(fn));
  }
  std::vector<SpaceOccupant> space_occupants(std::string_view name) const override {
    return machine_->state.space_occupants(name);
  }

 private:
  void send(json entry, StoreDone done) {
    if (stopped_) return done(make_error("the XMPP cluster store is closed"));
    std::string nonce = machine_->expect(std::move(done));
    entry["n"] = nonce;
    std::string text;
    try {
      text = entry.dump();
    } catch (const std::exception& e) {
      machine_->leader_answered(nonce, make_error(std::string("store command cannot be encoded: ") + e.what()), true);
      return;
    }
    std::weak_ptr<Machine> weak = machine_;
    consensus_->submit(std::move(text), [weak, nonce](Result<std::string> r) {
      auto machine = weak.lock();
      if (!machine) return;
      if (!r) {
        Error e = r.error();
        if (e.hint.empty())
          e.hint = "The XMPP cluster has no reachable leader (see 'xmpp cluster status'); this node may be cut off "
                   "from the majority.";
        machine->leader_answered(nonce, e, true);
      } else {
        machine->leader_answered(nonce, decode_status(*r), false);
      }
    });
  }

  Status send_and_wait(json entry) {
    auto promise = std::make_shared<std::promise<Status>>();
    auto future = promise->get_future();
    send(std::move(entry), [promise](Status st) { promise->set_value(std::move(st)); });
    // The consensus gives up on its own after request_timeout; the margin covers an
    // acknowledged write whose local apply is still on its way.
    if (future.wait_for(request_timeout_ * 2 + std::chrono::seconds(2)) != std::future_status::ready)
      return make_error("the XMPP cluster did not apply the change in time (outcome unknown)",
                        "See 'xmpp cluster status'.");
    return future.get();
  }

  std::shared_ptr<Machine> machine_;
  std::unique_ptr<cluster::Consensus> consensus_;
  std::shared_ptr<MessageDispatch> dispatch_;
  const std::uint64_t id_;
  const std::chrono::milliseconds request_timeout_;
  const std::shared_ptr<tls::TlsContextSource> tls_;
  std::atomic<bool> stopped_{false};
};

}  // namespace

Result<std::unique_ptr<ClusterStore>> ClusterStore::open(ClusterStoreConfig config) {
  char origin[32];
  std::snprintf(origin, sizeof origin, "%llx", static_cast<unsigned long long>(config.id));
  auto machine = std::make_shared<Machine>(origin);
  cluster::ConsensusConfig cc;
  cc.id = config.id;
  cc.address = config.address;
  cc.data_dir = config.data_dir;
  cc.tls = config.tls;
  cc.state_machine = machine;
  cc.bootstrap = config.bootstrap;
  cc.election_timeout = config.election_timeout;
  cc.heartbeat_timeout = config.heartbeat_timeout;
  cc.request_timeout = config.request_timeout;
  cc.on_change = [id = config.id](const cluster::ConsensusStatus& s) {
    logger("xmpp")->info("cluster: node {:x} is {} in term {} (leader {})", id, cluster::role_name(s.role), s.term,
                         s.leader_address.empty() ? "unknown" : s.leader_address);
  };
  auto dispatch = std::make_shared<MessageDispatch>();
  cc.on_message = [dispatch](std::uint64_t from, std::string message) { dispatch->call(from, std::move(message)); };
  auto consensus = cluster::start_consensus(std::move(cc));
  if (!consensus) return consensus.error();
  return std::unique_ptr<ClusterStore>(new ClusterStoreImpl(std::move(machine), std::move(*consensus),
                                                            std::move(dispatch), config.id, config.request_timeout,
                                                            config.tls));
}

Result<XmppState> copy_state(const XmppStore& store) {
  XmppState state;
  auto must = [](Status st) -> Status {
    if (!st) return make_error("cannot copy the XMPP data: " + st.error().message);
    return ok_status();
  };
  for (auto& user : store.users()) {
    auto sha1 = store.credentials(user, ScramHash::sha1);
    auto sha256 = store.credentials(user, ScramHash::sha256);
    if (!sha1 || !sha256) return make_error("cannot copy the XMPP data: user '" + user + "' has no credentials");
    CONVENE_TRY(must(state.apply(cmd::user_add(user, *sha1, *sha256))));
    for (auto& item : store.roster(user))
      CONVENE_TRY(must(state.apply(cmd::roster_set(user, item))));
    for (auto& m : store.offline_messages(user))
      CONVENE_TRY(must(state.apply(cmd::offline_push(user, m.stanza, m.stamp, m.to))));
  }
  for (auto& cb : store.callbridges())
    CONVENE_TRY(must(state.apply(cmd::callbridge_set(cb.name, cb.secret, true))));
  return state;
}

}  // namespace convene::xmpp
