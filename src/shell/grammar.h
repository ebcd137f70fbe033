#pragma once
// The shell's copy of the daemon's command grammar (fetched once per session over
// the admin socket): what `help` prints and what tab completion offers.
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace convene::shell {

struct GrammarEntry {
  std::vector<std::string> words;
  std::string usage;
  std::string help;
};

class Grammar {
 public:
  static Grammar from_json(const nlohmann::json& commands);

  // `help` with no topic: every noun with a line of what it covers. With a topic
  // ("pki", "xmpp cluster"): each command under it with usage and help.
  std::string help(const std::vector<std::string>& topic) const;

  // Words that may follow `typed` (complete words) and start with `partial`.
  std::vector<std::string> completions(const std::vector<std::string>& typed, const std::string& partial) const;

  const std::vector<GrammarEntry>& entries() const { return entries_; }

 private:
  std::vector<GrammarEntry> entries_;
};

}  // namespace convene::shell
