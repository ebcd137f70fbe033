#pragma once
// Expected failures are values: every fallible call returns a Result<T> (or
// Status = Result<void>) carrying an Error that says what is wrong and, where we
// know it, what the operator should do about it. Exceptions are kept for start-up
// and programmer errors.
//
// An Error also carries a code, for the caller that must decide what to do next
// (retry, report "outcome unknown", ...). Code decides; message and hint are for
// people and may be reworded at any time, so no caller may branch on their text.
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace convene {

// What kind of failure an Error is, in the spirit of LevelDB's Status codes and
// the gRPC canonical codes. Producers set the most specific code they know;
// `unknown` is the default for the many errors nobody branches on.
enum class ErrorCode {
  unknown,              // not classified; the message says what happened
  internal,             // a broken invariant or a failing library call
  invalid_argument,     // the input is wrong whatever the state (bad syntax, bad value)
  not_found,            // the named thing does not exist
  already_exists,       // the thing to create exists already
  permission_denied,    // refused for who is asking (bad secret, file mode)
  failed_precondition,  // the state does not allow it now (not initialized, not a member)
  unavailable,          // could not reach the peer or service; the request was NOT delivered, retrying is safe
  deadline_exceeded,    // no answer in time; the request may or may not have taken effect
  outcome_unknown,      // the request may have taken effect; retrying could apply it twice
  aborted,              // stopped part way (shutdown, conflict); nothing to assume either way
};

struct Error {
  std::string message;  // what is wrong, e.g. "file 'a.key' not found"
  std::string hint;     // what to do, e.g. "upload it to the file area first"; may be empty
  ErrorCode code = ErrorCode::unknown;

  // The text an operator sees: the message, then the hint on its own line.
  std::string text() const { return hint.empty() ? message : message + "\n" + hint; }
};

inline Error make_error(std::string message, std::string hint = {}) {
  return Error{std::move(message), std::move(hint), ErrorCode::unknown};
}

inline Error make_error(ErrorCode code, std::string message, std::string hint = {}) {
  return Error{std::move(message), std::move(hint), code};
}

// The code's name, e.g. "not_found", for logs and tests.
inline std::string_view to_string(ErrorCode code) {
  switch (code) {
    case ErrorCode::unknown: return "unknown";
    case ErrorCode::internal: return "internal";
    case ErrorCode::invalid_argument: return "invalid_argument";
    case ErrorCode::not_found: return "not_found";
    case ErrorCode::already_exists: return "already_exists";
    case ErrorCode::permission_denied: return "permission_denied";
    case ErrorCode::failed_precondition: return "failed_precondition";
    case ErrorCode::unavailable: return "unavailable";
    case ErrorCode::deadline_exceeded: return "deadline_exceeded";
    case ErrorCode::outcome_unknown: return "outcome_unknown";
    case ErrorCode::aborted: return "aborted";
  }
  return "unknown";
}

template <class T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}
  Result(Error error) : v_(std::move(error)) {}

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }

  T& value() & { return std::get<0>(v_); }
  const T& value() const& { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  const Error& error() const { return std::get<1>(v_); }
  // The failure's code; only meaningful when !ok().
  ErrorCode code() const { return error().code; }

 private:
  std::variant<T, Error> v_;
};

template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(Error error) : error_(std::move(error)) {}

  bool ok() const { return !error_.has_value(); }
  explicit operator bool() const { return ok(); }
  const Error& error() const { return *error_; }
  ErrorCode code() const { return error_->code; }

 private:
  std::optional<Error> error_;
};

using Status = Result<void>;

inline Status ok_status() { return {}; }

}  // namespace convene

// Return early with the error of a failed Result/Status expression.
#define CONVENE_TRY(expr)                                   \
  do {                                                      \
    auto convene_try_result_ = (expr);                      \
    if (!convene_try_result_) return convene_try_result_.error(); \
  } while (0)
