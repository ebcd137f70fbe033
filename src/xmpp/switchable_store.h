#pragma once
// An XmppStore that forwards to another one, which can be swapped at run time:
// the XMPP service is created with one store reference, and a node that joins or
// leaves a cluster switches that reference between its local store and its
// cluster store without restarting the service.
//
// Thread-safety: any thread. A call in progress keeps the target it started with
// (held by shared_ptr), so swapping never destroys a store under a caller.
#include <functional>
#include <memory>
#include <string>
#include <mutex>

#include "xmpp/store.h"

namespace convene::xmpp {

class SwitchableStore final : public XmppStore {
 public:
  explicit SwitchableStore(std::shared_ptr<XmppStore> target) : target_(std::move(target)) {}

  std::shared_ptr<XmppStore> target() const {
    std::lock_guard lock(mutex_);
    return target_;
  }
  // Returns the previous target. The offline listener moves to the new one.
  std::shared_ptr<XmppStore> set_target(std::shared_ptr<XmppStore> target) {
    std::lock_guard lock(mutex_);
    if (offline_) {
      target_->on_offline_stored(nullptr);
      target->on_offline_stored(offline_);
    }
    std::swap(target_, target);
    return target;
  }
  void on_offline_stored(std::function<void(const std::string& user)> fn) override {
    std::lock_guard lock(mutex_);
    offline_ = fn;
    target_->on_offline_stored(std::move(fn));
  }

  void submit(StoreCommand command, StoreDone done) override { target()->submit(std::move(command), std::move(done)); }
  std::optional<ScramCredentials> credentials(std::string_view user, ScramHash hash) const override {
    return target()->credentials(user, hash);
  }
  bool user_exists(std::string_view user) const override { return target()->user_exists(user); }
  std::vector<std::string> users() const override { return target()->users(); }
  std::vector<RosterItem> roster(std::string_view user) const override { return target()->roster(user); }
  std::optional<RosterItem> roster_item(std::string_view user, std::string_view contact) const override {
    return target()->roster_item(user, contact);
  }
  std::vector<OfflineMessage> offline_messages(std::string_view user) const override {
    return target()->offline_messages(user);
  }
  std::optional<CallBridge> callbridge(std::string_view name) const override { return target()->callbridge(name); }
  std::vector<CallBridge> callbridges() const override { return target()->callbridges(); }
  std::vector<SpaceOccupant> space_occupants(std::string_view name) const override {
    return target()->space_occupants(name);
  }

 private:
  mutable std::mutex mutex_;
  std::shared_ptr<XmppStore> target_;
  std::function<void(const std::string& user)> offline_;  // what on_offline_stored set
};

}  // namespace convene::xmpp
