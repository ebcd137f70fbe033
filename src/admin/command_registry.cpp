#include "admin/command_registry.h"

#include <algorithm>

#include "util/strings.h"

namespace convene {

std::string CommandSpec::full_usage() const {
  std::string s = join(words, " ");
  if (!usage.empty()) s += " " + usage;
  return s;
}

void CommandRegistry::add(CommandSpec spec) { specs_.push_back(std::move(spec)); }

namespace {
bool has_prefix(const std::vector<std::string>& words, const std::vector<std::string>& prefix) {
  if (prefix.size() > words.size()) return false;
  return std::equal(prefix.begin(), prefix.end(), words.begin());
}
}  // namespace

std::string CommandRegistry::usage(const std::vector<std::string>& prefix) const {
  std::string out = "Usage:";
  for (auto& s : specs_)
    if (has_prefix(s.words, prefix)) out += "\n  " + s.full_usage();
  return out;
}

Result<CommandMatch> CommandRegistry::match(const std::vector<std::string>& argv) const {
  if (argv.empty()) return make_error("no command given", "Type 'help' for the list of commands.");

  // The longest command whose words start argv.
  const CommandSpec* best = nullptr;
  for (auto& s : specs_)
    if (has_prefix(argv, s.words) && (!best || s.words.size() > best->words.size())) best = &s;

  if (best) {
    std::vector<std::string> args(argv.begin() + static_cast<long>(best->words.size()), argv.end());
    // A command that has sub-commands (e.g. "xmpp cluster") and got an unknown one
    // is a wrong command, not wrong arguments.
    if (args.size() < best->min_args || args.size() > best->max_args)
      return make_error("wrong arguments for '" + join(best->words, " ") + "'", usage(best->words));
    return CommandMatch{best, std::move(args)};
  }

  // Unknown: find the longest known prefix (a noun such as "pki") and the nearest
  // command, to say both what exists and what was probably meant.
  std::vector<std::string> known_prefix;
  for (auto& s : specs_) {
    size_t n = 0;
    while (n < s.words.size() && n < argv.size() && s.words[n] == argv[n]) ++n;
    if (n > known_prefix.size()) known_prefix.assign(s.words.begin(), s.words.begin() + static_cast<long>(n));
  }
  const CommandSpec* nearest = nullptr;
  size_t nearest_distance = 0;
  for (auto& s : specs_) {
    std::string typed = join(std::vector<std::string>(argv.begin(), argv.begin() + static_cast<long>(std::min(argv.size(), s.words.size()))), " ");
    size_t d = edit_distance(typed, join(s.words, " "));
    if (!nearest || d < nearest_distance) nearest = &s, nearest_distance = d;
  }
  std::string typed = join(argv, " ");
  if (known_prefix.size() == argv.size())  // e.g. "backup": a noun without its verb
    return make_error("incomplete command '" + typed + "'", usage(known_prefix));
  std::string hint;
  if (nearest && nearest_distance <= 3) hint = "Did you mean '" + join(nearest->words, " ") + "'?\n";
  if (!known_prefix.empty()) hint += usage(known_prefix);
  else hint += "Type 'help' for the list of commands.";
  return make_error("unknown command '" + typed + "'", hint);
}

void register_all_commands(CommandRegistry& registry) {
  register_node_commands(registry);
  register_pki_commands(registry);
  register_xmpp_commands(registry);
  register_xmpp_cluster_commands(registry);
  register_xmpp_dns_commands(registry);
  register_database_commands(registry);
  register_backup_commands(registry);
  register_callbridge_commands(registry);
  register_callbridge_space_commands(registry);
}

}  // namespace convene
