#pragma once
// How a command handler talks with the operator at the shell. The daemon side
// (admin_server) implements it over the admin socket; unit tests script it.
#include <optional>
#include <string>
#include <string_view>

#include "util/result.h"

namespace convene {

class Conversation {
 public:
  virtual ~Conversation() = default;

  // Output for the operator; a newline is added.
  virtual void print(std::string_view text) = 0;

  // Shows `warning` (the seed's "WARNING!!!\nAre you sure ...? (Y/n)\n..." text,
  // as given) and waits for the answer. True only for a capital "Y" (seed 004:
  // a lower-case "y" does not go on).
  virtual bool confirm(std::string_view warning) = 0;

  // Asks for a secret, not echoed; nullopt when the operator gave none.
  virtual std::optional<std::string> prompt_secret(std::string_view prompt) = 0;
};

// Asks for confirmation; anything but "Y" is an error that says nothing changed,
// so a script's `echo n | mmp ...` exits non-zero.
inline Status confirm_or_cancel(Conversation& io, std::string_view warning) {
  if (io.confirm(warning)) return ok_status();
  return make_error("cancelled: nothing was changed", "Answer with a capital Y to go on.");
}

}  // namespace convene
