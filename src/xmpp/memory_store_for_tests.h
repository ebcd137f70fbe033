#pragma once
// Test-only: an in-memory XmppStore twin, so tests need no disk or cluster.
// Commands apply at once and `done` runs inside submit(), so tests see their
// writes immediately.
// Understands the same command ops as the real store (store.h).
#include <map>
#include <mutex>

#include "xmpp/store.h"
#include "xmpp/subscription.h"

namespace convene::xmpp::testing {

class MemoryStore final : public XmppStore {
 public:
  void add_user(const std::string& user, const std::string& password) {
    std::lock_guard l(mu_);
    users_[user] = {*make_credentials(ScramHash::sha1, password, 4096),
                    *make_credentials(ScramHash::sha256, password, 4096)};
  }
  void add_callbridge(const std::string& name, const std::string& secret) {
    std::lock_guard l(mu_);
    bridges_[name] = {name, secret};
  }
  std::vector<StoreCommand> log;

  void submit(StoreCommand c, StoreDone done) override {
    Status st;
    {
      std::lock_guard l(mu_);
      log.push_back(c);
      std::string op = c.value("op", "");
      std::string user = c.value("user", "");
      if (op == "roster.set") {
        auto& j = c["item"];
        RosterItem item;
        item.jid = j.value("jid", "");
        item.name = j.value("name", "");
        item.subscription = subscription_from_name(j.value("subscription", "none"));
        item.ask_subscribe = j.value("ask", false);
        item.pending_in = j.value("pending_in", false);
        item.groups = j.value("groups", std::vector<std::string>{});
        rosters_[user][item.jid] = item;
      } else if (op == "roster.remove") {
        rosters_[user].erase(c.value("jid", ""));
      } else if (op == "offline.push") {
        offline_[user].push_back({++next_id_, user, c.value("stanza", ""), c.value("stamp", int64_t{0})});
      } else if (op == "offline.pop") {
        auto up_to = c.value("up_to", uint64_t{0});
        std::erase_if(offline_[user], [&](const OfflineMessage& m) { return m.id <= up_to; });
      } else {
        st = make_error("unknown op " + op);
      }
    }
    if (done) done(st);
  }
  std::optional<ScramCredentials> credentials(std::string_view user, ScramHash hash) const override {
    std::lock_guard l(mu_);
    auto it = users_.find(std::string(user));
    if (it == users_.end()) return std::nullopt;
    return hash == ScramHash::sha1 ? it->second.first : it->second.second;
  }
  bool user_exists(std::string_view user) const override {
    std::lock_guard l(mu_);
    return users_.count(std::string(user)) > 0;
  }
  std::vector<std::string> users() const override {
    std::lock_guard l(mu_);
    std::vector<std::string> out;
    for (auto& [u, c] : users_) out.push_back(u);
    return out;
  }
  std::vector<RosterItem> roster(std::string_view user) const override {
    std::lock_guard l(mu_);
    std::vector<RosterItem> out;
    auto it = rosters_.find(std::string(user));
    if (it != rosters_.end())
      for (auto& [j, i] : it->second) out.push_back(i);
    return out;
  }
  std::optional<RosterItem> roster_item(std::string_view user, std::string_view contact) const override {
    std::lock_guard l(mu_);
    auto it = rosters_.find(std::string(user));
    if (it == rosters_.end()) return std::nullopt;
    auto i = it->second.find(std::string(contact));
    if (i == it->second.end()) return std::nullopt;
    return i->second;
  }
  std::vector<OfflineMessage> offline_messages(std::string_view user) const override {
    std::lock_guard l(mu_);
    auto it = offline_.find(std::string(user));
    return it == offline_.end() ? std::vector<OfflineMessage>{} : it->second;
  }
  std::optional<CallBridge> callbridge(std::string_view name) const override {
    std::lock_guard l(mu_);
    auto it = bridges_.find(std::string(name));
    if (it == bridges_.end()) return std::nullopt;
    return it->second;
  }
  std::vector<CallBridge> callbridges() const override {
    std::lock_guard l(mu_);
    std::vector<CallBridge> out;
    for (auto& [n, b] : bridges_) out.push_back(b);
    return out;
  }
  std::vector<SpaceOccupant> space_occupants(std::string_view) const override { return {}; }

 private:
  mutable std::mutex mu_;
  std::map<std::string, std::pair<ScramCredentials, ScramCredentials>> users_;
  std::map<std::string, std::map<std::string, RosterItem>> rosters_;
  std::map<std::string, std::vector<OfflineMessage>> offline_;
  std::map<std::string, CallBridge> bridges_;
  uint64_t next_id_ = 0;
};

}  // namespace convene::xmpp::testing
