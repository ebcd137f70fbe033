#pragma once
// Expected failures are values (STYLE.md habit 5): every fallible call returns a
// Result<T> (or Status = Result<void>) carrying an Error that says what is wrong
// and, where we know it, what the operator should do about it. Exceptions are kept
// for start-up and programmer errors.
#include <optional>
#include <string>
#include <utility>
#include <variant>

namespace convene {

struct Error {
  std::string message;  // what is wrong, e.g. "file 'a.key' not found"
  std::string hint;     // what to do, e.g. "upload it to the file area first"; may be empty

  // The text an operator sees: the message, then the hint on its own line.
  std::string text() const { return hint.empty() ? message : message + "\n" + hint; }
};

inline Error make_error(std::string message, std::string hint = {}) {
  return Error{std::move(message), std::move(hint)};
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
