#include "cluster/admission.h"

namespace convene::cluster {

std::shared_ptr<HandshakeGate::Ticket> HandshakeGate::enter(const std::string& host) {
  {
    std::lock_guard lock(mutex_);
    auto& mine = per_host_pending_[host];
    if (pending_ >= max_pending_ || mine >= per_host_) {
      if (mine == 0) per_host_pending_.erase(host);
      return nullptr;
    }
    ++pending_;
    ++mine;
  }
  return std::make_shared<Ticket>(shared_from_this(), host);
}

void HandshakeGate::leave(const std::string& host) {
  std::lock_guard lock(mutex_);
  --pending_;
  auto it = per_host_pending_.find(host);
  if (it != per_host_pending_.end() && --it->second == 0) per_host_pending_.erase(it);
}

std::size_t HandshakeGate::pending() const {
  std::lock_guard lock(mutex_);
  return pending_;
}

bool RefusalLog::should_log(const std::string& key, Clock::time_point now, std::size_t* unsaid) {
  std::lock_guard lock(mutex_);
  auto it = last_.find(key);
  if (it == last_.end()) {
    if (last_.size() >= max_keys_)
      std::erase_if(last_, [&](auto& e) { return now - e.second >= interval_; });
    if (last_.size() >= max_keys_) {
      ++unsaid_;
      return false;
    }
    it = last_.emplace(key, now).first;
  } else if (now - it->second < interval_) {
    return false;
  }
  it->second = now;
  if (unsaid) *unsaid = unsaid_;
  unsaid_ = 0;
  return true;
}

std::size_t RefusalLog::size() const {
  std::lock_guard lock(mutex_);
  return last_.size();
}

}  // namespace convene::cluster
