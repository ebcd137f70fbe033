#pragma once
// Commands are data, not code paths: each command group registers specs
// (words, argument usage, help, handler) in one registry, which gives the daemon its
// parser and the shell its help, usage lines and completion (sent over the socket).
#include <functional>
#include <limits>
#include <string>
#include <vector>

#include "admin/conversation.h"
#include "util/result.h"

namespace convene {

class Daemon;
class Node;

struct CommandRequest {
  Daemon& daemon;
  Node& node;
  Conversation& io;
  std::vector<std::string> args;  // the words after the command's own words
  std::string line;               // the command as typed, for "Last command : '...'"
};

// Prints its output through request.io; a returned Error is shown as
// "ERROR: <message>\n  <hint>" and makes mmp exit non-zero.
using CommandHandler = std::function<Status(CommandRequest&)>;

inline constexpr size_t kAnyNumber = std::numeric_limits<size_t>::max();

struct CommandSpec {
  std::vector<std::string> words;  // {"pki", "csr"}
  // The arguments, e.g. "<basename> [CN:<name>] ...". A placeholder that names a file
  // of the file area is <file>, <cert>, <key>, <bundle> or ends in -file, -cert, -key,
  // -bundle (<ca-bundle>): the shell completes file names there (shell/completion.h).
  std::string usage;
  std::string help;                // one line
  size_t min_args = 0;
  size_t max_args = 0;             // kAnyNumber for no upper bound
  CommandHandler handler;          // empty: the command exists but is not built yet

  std::string full_usage() const;  // "pki csr <basename> [CN:<name>] ..."
};

struct CommandMatch {
  const CommandSpec* spec;
  std::vector<std::string> args;
};

class CommandRegistry {
 public:
  void add(CommandSpec spec);

  // Finds the command `argv` names and checks its argument count. The error says
  // what is wrong: an unknown command with the nearest known one ("Did you mean"),
  // or the usage lines of the noun for a wrong verb or argument count.
  Result<CommandMatch> match(const std::vector<std::string>& argv) const;

  // "Usage:\n  backup snapshot <name>\n  ..." for every command under `prefix`.
  std::string usage(const std::vector<std::string>& prefix) const;

  const std::vector<CommandSpec>& all() const { return specs_; }

 private:
  std::vector<CommandSpec> specs_;
};

// Every command group's registration, one function per group file.
void register_pki_commands(CommandRegistry& registry);
void register_node_commands(CommandRegistry& registry);
void register_xmpp_commands(CommandRegistry& registry);
void register_xmpp_cluster_commands(CommandRegistry& registry);
void register_xmpp_dns_commands(CommandRegistry& registry);
void register_database_commands(CommandRegistry& registry);
void register_backup_commands(CommandRegistry& registry);
void register_callbridge_commands(CommandRegistry& registry);
void register_callbridge_space_commands(CommandRegistry& registry);
void register_all_commands(CommandRegistry& registry);

}  // namespace convene
