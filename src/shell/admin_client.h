#pragma once
// The shell's end of an admin conversation: sends one command, renders the
// daemon's messages, and answers its prompts through a Terminal.
#include <optional>
#include <string>
#include <vector>

#include "shell/grammar.h"
#include "util/result.h"

namespace convene::shell {

// What the shell needs from the operator's terminal; a script supplies stdin.
class Terminal {
 public:
  virtual ~Terminal() = default;
  virtual void out(const std::string& text) = 0;  // a newline is added
  virtual void err(const std::string& text) = 0;  // a newline is added
  // Shows `text` and reads a line (nullopt at end of input); `echo` false for secrets.
  virtual std::optional<std::string> ask(const std::string& text, bool echo) = 0;
};

// Exit status of a one-shot mmp: 0 done, 1 the command failed, 2 no daemon / protocol.
enum class Outcome { kOk = 0, kFailed = 1, kUnreachable = 2 };

Outcome run_remote(const std::string& socket_path, const std::vector<std::string>& argv, Terminal& term);
// The same conversation over a connected socket (closed on return).
Outcome run_over(int fd, const std::vector<std::string>& argv, Terminal& term);

struct GrammarReply {
  Grammar grammar;
  std::string node_name;
};
Result<GrammarReply> fetch_grammar(const std::string& socket_path);

}  // namespace convene::shell
