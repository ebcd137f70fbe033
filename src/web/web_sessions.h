#pragma once
// The pages' logins: a session is a random id in a cookie (Secure, HttpOnly,
// SameSite=Strict) and a CSRF token of its own that every changing request must
// send back in a form field (a cross-site form cannot read it). Sessions live in
// memory only (a restart logs everyone out), end after 30 minutes unused or at
// logout, and are bounded in number (the oldest goes first).
// Time is a parameter, so the unit tests need no clock. Thread-safe (one mutex).
#include <chrono>
#include <map>
#include <mutex>
#include <optional>
#include <string>

#include "web/admin_users.h"

namespace convene::web {

inline constexpr const char* kSessionCookie = "convene_session";

struct WebSession {
  std::string user;
  Role role = Role::audit;
  std::string csrf;
  std::chrono::steady_clock::time_point last_used;
};

class WebSessions {
 public:
  using Clock = std::chrono::steady_clock;
  static constexpr std::chrono::minutes kIdleLimit{30};
  static constexpr size_t kMaxSessions = 1000;

  // A new session's id.
  std::string create(const std::string& user, Role role, Clock::time_point now);
  // The session of `id` when it is current (and marks it used).
  std::optional<WebSession> find(const std::string& id, Clock::time_point now);
  void remove(const std::string& id);
  size_t size() const;

 private:
  mutable std::mutex mu_;
  std::map<std::string, WebSession> sessions_;
};

// Compares a token in constant time (for its length).
bool csrf_matches(const std::string& expected, const std::string& given);

// The value of cookie `name` in a Cookie header ("a=1; convene_session=xyz").
std::string cookie_value(const std::string& cookie_header, const std::string& name);

// The Set-Cookie value of a session (and of its end: empty id, expired).
std::string session_cookie(const std::string& id);

}  // namespace convene::web
