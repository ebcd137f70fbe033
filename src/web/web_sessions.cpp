#include "web/web_sessions.h"

#include "util/random.h"

namespace convene::web {

std::string WebSessions::create(const std::string& user, Role role, Clock::time_point now) {
  std::lock_guard lock(mu_);
  while (sessions_.size() >= kMaxSessions) {
    auto oldest = sessions_.begin();
    for (auto it = sessions_.begin(); it != sessions_.end(); ++it)
      if (it->second.last_used < oldest->second.last_used) oldest = it;
    sessions_.erase(oldest);
  }
  std::string id = random_id(32);
  sessions_[id] = WebSession{user, role, random_id(32), now};
  return id;
}

std::optional<WebSession> WebSessions::find(const std::string& id, Clock::time_point now) {
  std::lock_guard lock(mu_);
  auto it = sessions_.find(id);
  if (it == sessions_.end()) return std::nullopt;
  if (now - it->second.last_used > kIdleLimit) {
    sessions_.erase(it);
    return std::nullopt;
  }
  it->second.last_used = now;
  return it->second;
}

void WebSessions::remove(const std::string& id) {
  std::lock_guard lock(mu_);
  sessions_.erase(id);
}

size_t WebSessions::size() const {
  std::lock_guard lock(mu_);
  return sessions_.size();
}

bool csrf_matches(const std::string& expected, const std::string& given) {
  if (expected.empty() || expected.size() != given.size()) return false;
  unsigned char diff = 0;
  for (size_t i = 0; i < expected.size(); ++i) diff |= static_cast<unsigned char>(expected[i] ^ given[i]);
  return diff == 0;
}

std::string cookie_value(const std::string& cookie_header, const std::string& name) {
  size_t pos = 0;
  while (pos < cookie_header.size()) {
    size_t end = cookie_header.find(';', pos);
    if (end == std::string::npos) end = cookie_header.size();
    std::string pair = cookie_header.substr(pos, end - pos);
    while (!pair.empty() && pair.front() == ' ') pair.erase(0, 1);
    size_t eq = pair.find('=');
    if (eq != std::string::npos && pair.substr(0, eq) == name) return pair.substr(eq + 1);
    pos = end + 1;
  }
  return "";
}

std::string session_cookie(const std::string& id) {
  std::string attributes = "; Path=/; Secure; HttpOnly; SameSite=Strict";
  if (id.empty()) return std::string(kSessionCookie) + "=" + attributes + "; Max-Age=0";
  return std::string(kSessionCookie) + "=" + id + attributes;
}

}  // namespace convene::web
